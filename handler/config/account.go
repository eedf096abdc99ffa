package config

import (
	"fmt"
	"log/slog"
	"strings"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/signer"
)

// The settings of a whole account: the regions a reconciliation covers,
// and how the function hands regions to invocations of itself. SCF sets
// SCF_FUNCTIONNAME and SCF_NAMESPACE (users cannot set variables that
// begin with SCF_); INVOKE_ENDPOINT is for tests on loopback.
const (
	EnvInvokeEndpoint = "INVOKE_ENDPOINT"
	EnvFunctionName   = "SCF_FUNCTIONNAME"
	EnvNamespace      = "SCF_NAMESPACE"
)

// Account is what the function knows of the account beyond one region.
type Account struct {
	// Regions, or AllRegions ("*"), is RECONCILE_REGIONS: what a
	// reconciliation covers when its request names no Region nor Regions.
	Regions    []string
	AllRegions bool
	// InvokeEndpoint is the SCF API (INVOKE_ENDPOINT; cvm.SCFEndpoint);
	// FunctionName and Namespace the function itself, which a fan-out
	// invokes ("": no fan-out).
	InvokeEndpoint          string
	FunctionName, Namespace string
}

// ReadAccount reads RECONCILE_REGIONS, INVOKE_ENDPOINT, SCF_FUNCTIONNAME
// and SCF_NAMESPACE.
func ReadAccount(getenv func(string) string) (Account, error) {
	a := Account{
		InvokeEndpoint: strings.TrimSpace(getenv(EnvInvokeEndpoint)),
		FunctionName:   strings.TrimSpace(getenv(EnvFunctionName)),
		Namespace:      strings.TrimSpace(getenv(EnvNamespace)),
	}
	if a.InvokeEndpoint == "" {
		a.InvokeEndpoint = cvm.SCFEndpoint
	}
	if _, err := cvm.NewSCF(a.InvokeEndpoint, signer.TC3HmacSHA256, nil); err != nil {
		return a, fmt.Errorf("%s: %w", EnvInvokeEndpoint, err)
	}
	if s := strings.TrimSpace(getenv(rules.EnvReconcileRegions)); s != "" {
		var err error
		if a.Regions, a.AllRegions, err = regions(s); err != nil {
			return a, err
		}
	}
	return a, nil
}

func regions(s string) ([]string, bool, error) {
	list, all, err := request.ParseRegions(rules.EnvReconcileRegions, s)
	if err != nil {
		return nil, false, fmt.Errorf("%s", err.Message)
	}
	return list, all, nil
}

// NewSCFClient returns the SCF API's client of c (TC3-HMAC-SHA256),
// tuned as the CVM client is: the fan-out's Invoke goes through the one
// call path.
func (c Config) NewSCFClient(httpClient cvm.Doer, logger *slog.Logger) (*cvm.Client, error) {
	client, err := cvm.NewSCF(c.Account.InvokeEndpoint, signer.TC3HmacSHA256, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvInvokeEndpoint, err)
	}
	client.Logger = logger
	c.Tuning.Apply(client)
	return client, nil
}
