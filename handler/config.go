package handler

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
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

// NewFromEnv builds the Handler from the function's environment. A bad
// setting is logged once here and answered to every invocation as
// InternalError.InvalidConfig, never silently replaced by a default.
func NewFromEnv(getenv func(string) string, logger *slog.Logger) *Handler {
	h := &Handler{
		Credentials:   credentials.Env{Getenv: getenv},
		Logger:        logger,
		DefaultRegion: strings.TrimSpace(getenv(EnvRegion)),
		AnswerMargin:  200 * time.Millisecond,
	}
	client, err := newCVMClient(getenv)
	if err == nil {
		err = applyTuning(getenv, h, client) // tuning.go
	}
	if err != nil {
		h.ConfigErr = &Error{Code: CodeInvalidConfig, Message: err.Error()}
		logger.Error("invalid configuration", "error", err.Error())
		return h
	}
	client.Logger = logger
	h.CVM = client
	// Said at the first invocation, not here: a log write before the runtime
	// listens measurably delays the cold start's first Ping.
	h.startup = func() {
		logger.Info("configured", "endpoint", client.Endpoint(), "signature_method", string(client.Method()), "default_region", h.DefaultRegion,
			"max_retries", client.Retry.MaxRetries, "max_concurrency", h.MaxConcurrency, "rate_limit", rateLimitOf(client), "skip_invalid", h.SkipInvalid)
	}
	return h
}

func newCVMClient(getenv func(string) string) (*cvm.Client, error) {
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
	c, err := cvm.New(endpoint, method, NewHTTPClient())
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
