// apply-client runs client-go's dynamic client Apply (a PATCH of type application/apply-patch+yaml
// with the object as JSON) against a kubeconfig's server, for
// test/aggregation/server-side-apply.test.ts:
//
//	apply-client <kubeconfig> <group> <version> <resource> <namespace> <field manager> <force: true|false> <object JSON file>
//
// It prints the applied object as JSON and exits 0, or prints the error's Status as JSON (an
// error that carries none as error=<type> <error>) and exits 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	if len(os.Args) != 9 {
		fmt.Fprintln(os.Stderr, "usage: apply-client <kubeconfig> <group> <version> <resource> <namespace> <field manager> <force> <object JSON file>")
		os.Exit(2)
	}
	kubeconfig, group, version, resource, namespace, manager, force, file := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6], os.Args[7] == "true", os.Args[8]
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeconfig:", err)
		os.Exit(2)
	}
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(2)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "object:", err)
		os.Exit(2)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		fmt.Fprintln(os.Stderr, "object:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gvr := schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
	result, err := client.Resource(gvr).Namespace(namespace).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: manager, Force: force})
	if err != nil {
		var status apierrors.APIStatus
		if errors.As(err, &status) {
			out, _ := json.Marshal(status.Status())
			fmt.Println(string(out))
		} else {
			fmt.Printf("error=%T %v\n", err, err)
		}
		os.Exit(1)
	}
	out, err := json.Marshal(result.Object)
	if err != nil {
		fmt.Fprintln(os.Stderr, "result:", err)
		os.Exit(2)
	}
	fmt.Println(string(out))
}
