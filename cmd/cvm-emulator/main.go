// Command cvm-emulator serves the loopback CVM API emulator of package
// emulator for the demo: it prints its base URL, then answers
// ModifyInstancesProject and DescribeInstances until interrupted, logging
// one JSON line per request to standard error.
//
//	cvm-emulator [-addr 127.0.0.1:9000] [-seed N]
//
// It accepts the key in TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and
// TENCENTCLOUD_SESSIONTOKEN, or else the API documentation's example key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"scf-cvm-project/internal/emulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cvm-emulator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	flags := flag.NewFlagSet("cvm-emulator", flag.ContinueOnError)
	addr := flags.String("addr", "127.0.0.1:9000", "loopback `host:port` to listen on")
	seed := flags.Int("seed", 0, "seed `N` instances ins-00000001.. in project 0, plus ins-lb000001 bound to a load balancer")
	if err := flags.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	key, source, err := keyFromEnv()
	if err != nil {
		return err
	}
	instances, err := emulator.SeedInstances(*seed)
	if err != nil {
		return err
	}
	e := emulator.New()
	e.AddKey(key)
	e.AddInstances(instances...)
	e.OnCall(func(c emulator.Call) {
		log.Info("request",
			"endpoint", c.Endpoint, "signature_method", c.SignatureMethod,
			"action", c.Action, "instances", len(c.InstanceIDs), "project", c.ProjectID, "filters", len(c.Filters), "offset", c.Offset,
			"code", c.Code, "request_id", c.RequestID)
	})

	baseURL, stop, err := e.Listen(*addr)
	if err != nil {
		return err
	}
	defer stop()
	log.Info("serving", "base_url", baseURL, "key", source, "temporary", key.Token != "", "instances", len(instances))
	fmt.Println(baseURL)

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	<-ctx.Done()
	log.Info("stopping")
	return nil
}

// keyFromEnv returns the key of the TENCENTCLOUD_* variables, or the
// documentation's example key when none is set, and which it is.
func keyFromEnv() (emulator.Key, string, error) {
	k := emulator.Key{
		SecretID:  os.Getenv("TENCENTCLOUD_SECRETID"),
		SecretKey: os.Getenv("TENCENTCLOUD_SECRETKEY"),
		Token:     os.Getenv("TENCENTCLOUD_SESSIONTOKEN"),
	}
	switch {
	case k == emulator.Key{}:
		return emulator.ExampleKey(), "example", nil
	case k.SecretID == "" || k.SecretKey == "":
		return emulator.Key{}, "", errors.New("set both TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY, or neither for the example key")
	}
	return k, "environment", nil
}
