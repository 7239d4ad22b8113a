// The Go control of test/aggregation/metrics-apiserver.test.ts: an external metrics API made with
// sigs.k8s.io/custom-metrics-apiserver (its AdapterBase, as its test-adapter), serving the
// library's fake provider (test-adapter/provider): external metrics my-external-metric
// (foo=bar → 42, foo=baz → 43) and other-external-metric (44), discovery from the library's
// defaults (one resource, externalmetrics). Flags are the library's (--secure-port,
// --lister-kubeconfig, --authentication-kubeconfig, ...).
package main

import (
	"context"
	"os"

	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"

	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
	fakeprov "sigs.k8s.io/custom-metrics-apiserver/test-adapter/provider"
)

func main() {
	logs.InitLogs()
	defer logs.FlushLogs()

	cmd := &basecmd.AdapterBase{Name: "go-metrics-adapter"}
	logs.AddFlags(cmd.Flags())
	if err := cmd.Flags().Parse(os.Args); err != nil {
		klog.Fatalf("unable to parse flags: %v", err)
	}
	client, err := cmd.DynamicClient()
	if err != nil {
		klog.Fatalf("unable to construct dynamic client: %v", err)
	}
	mapper, err := cmd.RESTMapper()
	if err != nil {
		klog.Fatalf("unable to construct discovery REST mapper: %v", err)
	}
	provider, _ := fakeprov.NewFakeProvider(client, mapper)
	cmd.WithExternalMetrics(provider)
	if err := cmd.Run(context.Background()); err != nil {
		klog.Fatalf("unable to run the metrics adapter: %v", err)
	}
}
