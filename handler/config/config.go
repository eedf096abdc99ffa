package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/signer"
)

// The environment variables of the endpoint and the default region.
const (
	EnvEndpoint        = "CVM_ENDPOINT"
	EnvTagEndpoint     = "TAG_ENDPOINT" // the Tag API (KEEP_SECURITY_GROUPS' records): default cvm.TagEndpoint
	EnvSignatureMethod = "SIGNATURE_METHOD"
	EnvRegion          = "TENCENTCLOUD_REGION"
)

// Config is the function's settings, read once by Load: everything but
// the credential providers' own variables (credentials.FromEnv reads those).
type Config struct {
	Endpoint        string        // CVM_ENDPOINT
	TagEndpoint     string        // TAG_ENDPOINT
	SignatureMethod signer.Method // SIGNATURE_METHOD
	DefaultRegion   string        // TENCENTCLOUD_REGION, set by SCF
	Security        guard.Security
	Tuning          Tuning
	Verify          Verify       // VERIFY, KEEP_SECURITY_GROUPS
	Rules           []rules.Rule // RULES_FILE or PROJECT_RULES; nil when neither is set
	Account         Account      // RECONCILE_REGIONS, the fan-out's (account.go)
	// Secrets are the configured secrets (API_TOKEN), masked in log lines.
	Secrets []string
}

// Load reads every setting. An unset or blank variable takes its default;
// every malformed one is reported, joined, in the error (which never
// repeats a secret's value). The Config returned with an error is not to
// be used: the function then refuses every invocation
// (InternalError.InvalidConfig) rather than run half-configured.
func Load(getenv func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	c := Config{
		DefaultRegion: strings.TrimSpace(getenv(EnvRegion)),
		Secrets:       []string{getenv(guard.EnvAPIToken)},
	}
	var errs []error
	var err error
	if c.SignatureMethod, c.Endpoint, err = endpoint(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.TagEndpoint = strings.TrimSpace(getenv(EnvTagEndpoint)); c.TagEndpoint == "" {
		c.TagEndpoint = cvm.TagEndpoint
	}
	if _, err := cvm.NewTag(c.TagEndpoint, signer.TC3HmacSHA256, nil); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvTagEndpoint, err))
	}
	if c.Tuning, err = ReadTuning(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Verify, err = ReadVerify(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Security, err = guard.FromEnv(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Rules, err = readRules(getenv, readFile, c.Security); err != nil {
		errs = append(errs, err)
	}
	if c.Account, err = ReadAccount(getenv); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// NewClient returns the CVM client of c, tuned, sending through httpClient.
func (c Config) NewClient(httpClient cvm.Doer, logger *slog.Logger) (*cvm.Client, error) {
	client, err := cvm.New(c.Endpoint, c.SignatureMethod, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", EnvEndpoint, EnvSignatureMethod, err)
	}
	client.Logger = logger
	c.Tuning.Apply(client)
	return client, nil
}

// NewTagClient returns the Tag API's client of c (TC3-HMAC-SHA256, or the
// v1 method c names for API 3.0), tuned as the CVM client is.
func (c Config) NewTagClient(httpClient cvm.Doer, logger *slog.Logger) (*cvm.Client, error) {
	method := c.SignatureMethod
	if method == "" || strings.HasSuffix(c.Endpoint, cvm.LegacyPath) {
		method = signer.TC3HmacSHA256
	}
	client, err := cvm.NewTag(c.TagEndpoint, method, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvTagEndpoint, err)
	}
	client.Logger = logger
	c.Tuning.Apply(client)
	return client, nil
}

// endpoint reads SIGNATURE_METHOD and CVM_ENDPOINT. Neither set: API 3.0
// (cvm.API3Endpoint) with TC3-HMAC-SHA256. Only a method set: API 3.0's
// endpoint, which takes the v1 methods too; the legacy endpoint is used
// only when CVM_ENDPOINT names it. Only an endpoint set: TC3-HMAC-SHA256,
// or HmacSHA256 when it is a legacy one (a path of /v2/index.php), which
// does not speak TC3.
func endpoint(getenv func(string) string) (signer.Method, string, error) {
	endpoint := strings.TrimSpace(getenv(EnvEndpoint))
	if endpoint == "" {
		endpoint = cvm.API3Endpoint
	}
	method := signer.TC3HmacSHA256
	if s := strings.TrimSpace(getenv(EnvSignatureMethod)); s != "" {
		m, err := signer.ParseMethod(s)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", EnvSignatureMethod, err)
		}
		method = m
	} else if u, err := url.Parse(endpoint); err == nil && u.Path == cvm.LegacyPath {
		method = signer.HmacSHA256
	}
	if _, err := cvm.New(endpoint, method, nil); err != nil { // the same checks as the client's
		return "", "", fmt.Errorf("%s/%s: %w", EnvEndpoint, EnvSignatureMethod, err)
	}
	return method, endpoint, nil
}

// NewHTTPClient returns the one client that serves every invocation of a
// warm instance, so consecutive calls reuse a kept-alive connection. It has
// no overall timeout: each call's context carries its deadline.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}
