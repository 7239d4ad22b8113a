// exec-client runs client-go's WebSocket executor (remotecommand.NewWebSocketExecutor, what
// kubectl exec uses since 1.30) against an exec-like connect subresource, for
// test/aggregation/connect.test.ts: kubectl exec itself only knows pods.
//
//	exec-client <server> <ca file> <client cert file> <client key file> <path?query> <stdin text>
//
// It prints stdout=<quoted stdout>, then "ok", or error=<type> <error> and exits 1.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

func main() {
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: exec-client <server> <ca> <cert> <key> <path?query> <stdin>")
		os.Exit(2)
	}
	server, ca, cert, key, path, stdin := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6]
	config := &rest.Config{Host: server, TLSClientConfig: rest.TLSClientConfig{CAFile: ca, CertFile: cert, KeyFile: key}}
	executor, err := remotecommand.NewWebSocketExecutor(config, "GET", server+path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "executor:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	// Stdin ends after the text: the executor then sends v5's close of stdin.
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr})
	fmt.Printf("stdout=%q\n", stdout.String())
	if err != nil {
		fmt.Printf("error=%T %v\n", err, err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
