package handler

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/signer"
)

// The environment variables the function reads at start.
const (
	EnvEndpoint        = "CVM_ENDPOINT"
	EnvSignatureMethod = "SIGNATURE_METHOD"
	EnvRegion          = "TENCENTCLOUD_REGION"
)

// CodeInvalidConfig answers every invocation of a misconfigured function.
const CodeInvalidConfig = "InternalError.InvalidConfig"

// NewFromEnv builds the Handler from the function's environment: the
// endpoint and signature method, the default region, and the guards
// (SecurityFromEnv). A bad setting is logged once here and answered to
// every invocation as InternalError.InvalidConfig, never silently replaced
// by a default nor run unguarded.
func NewFromEnv(getenv func(string) string, logger *slog.Logger) *Handler {
	h := &Handler{
		Credentials:   credentials.Env{Getenv: getenv},
		Logger:        logger,
		DefaultRegion: strings.TrimSpace(getenv(EnvRegion)),
		AnswerMargin:  200 * time.Millisecond,
	}
	security, serr := SecurityFromEnv(getenv)
	h.Security = security
	h.secrets = h.secrets.with(getenv(EnvAPIToken))
	httpClient := NewHTTPClient() // one pool of connections for CVM, STS and metadata
	client, cerr := newCVMClient(getenv, httpClient)
	if cerr == nil {
		cerr = applyTuning(getenv, h, client) // tuning.go
	}
	var rerr error
	if err := h.configureRules(getenv, os.ReadFile); err != nil {
		rerr = errors.New(err.Message)
	}
	if err := errors.Join(cerr, serr, rerr); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		h.ConfigErr = &Error{Code: CodeInvalidConfig, Message: msg}
		logger.Error("invalid configuration", "error", msg)
		return h
	}
	client.Logger = logger
	h.CVM, h.Preparer = client, client
	provider, err := credentials.FromEnv(getenv, httpClient, logger)
	if err != nil {
		h.ConfigErr = &Error{Code: CodeInvalidConfig, Message: err.Error()}
		logger.Error("invalid configuration", "error", err.Error())
		return h
	}
	h.Credentials = provider
	// Said at the first invocation, not here: a log write before the runtime
	// listens measurably delays the cold start's first Ping.
	h.startup = func() {
		logger.Info("configured", "endpoint", client.Endpoint(), "signature_method", string(client.Method()), "default_region", h.DefaultRegion,
			"http_auth", security.HTTPAuth(), "allow_get", security.AllowGET, "allowed_project_ids", security.AllowedProjectIDs,
			"max_instances", security.maxInstances(), "dry_run", security.DryRun, "rules", len(h.Rules), "credentials", fmt.Sprint(provider),
			"max_retries", client.Retry.MaxRetries, "max_concurrency", h.MaxConcurrency, "rate_limit", rateLimitOf(client), "skip_invalid", h.SkipInvalid)
	}
	return h
}

func newCVMClient(getenv func(string) string, httpClient *http.Client) (*cvm.Client, error) {
	method := signer.HmacSHA256
	if s := strings.TrimSpace(getenv(EnvSignatureMethod)); s != "" {
		m, err := signer.ParseMethod(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSignatureMethod, err)
		}
		method = m
	}
	endpoint := strings.TrimSpace(getenv(EnvEndpoint))
	if endpoint == "" {
		endpoint = cvm.LegacyEndpoint
		if method == signer.TC3HmacSHA256 {
			endpoint = cvm.API3Endpoint // the legacy endpoint does not speak TC3
		}
	}
	c, err := cvm.New(endpoint, method, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", EnvEndpoint, EnvSignatureMethod, err)
	}
	return c, nil
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
