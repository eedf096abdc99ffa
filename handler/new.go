package handler

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
)

// NewFromEnv builds the Handler from the function's settings
// (config.Load) and the credential providers (credentials.FromEnv). A bad
// setting is logged once here and answered to every invocation as
// InternalError.InvalidConfig, never silently replaced by a default nor
// run unguarded.
func NewFromEnv(getenv func(string) string, logger *slog.Logger) *Handler {
	h := &Handler{
		Credentials:  credentials.Env{Getenv: getenv},
		Logger:       logger,
		AnswerMargin: 200 * time.Millisecond,
	}
	cfg, err := config.Load(getenv, os.ReadFile)
	h.secrets = h.secrets.With(cfg.Secrets...)
	h.DefaultRegion, h.Security, h.Rules = cfg.DefaultRegion, cfg.Security, cfg.Rules
	h.MaxConcurrency, h.SkipInvalid = cfg.Tuning.MaxConcurrency, cfg.Tuning.SkipInvalid
	h.Verify = cfg.Verify
	if err != nil {
		return h.misconfigured(logger, err)
	}
	httpClient := config.NewHTTPClient() // one pool of connections for CVM, STS and metadata
	client, err := cfg.NewClient(httpClient, slog.New(invocationLog{logger.Handler()}))
	if err != nil {
		return h.misconfigured(logger, err)
	}
	h.CVM, h.Preparer = client, client
	provider, err := credentials.FromEnv(getenv, httpClient, logger)
	if err != nil {
		return h.misconfigured(logger, err)
	}
	h.Credentials = provider
	// Said at the first invocation, not here: a log write before the runtime
	// listens measurably delays the cold start's first Ping.
	security := cfg.Security
	h.startup = func() {
		logger.Info("configured", "endpoint", client.Endpoint(), "signature_method", string(client.Method()), "default_region", h.DefaultRegion,
			"http_auth", security.HTTPAuth(), "allow_get", security.AllowGET, "allowed_project_ids", security.AllowedProjectIDs,
			"max_instances", security.InstanceLimit(), "dry_run", security.DryRun, "rules", len(h.Rules), "credentials", fmt.Sprint(provider),
			"max_retries", client.Retry.MaxRetries, "max_concurrency", h.MaxConcurrency, "rate_limit", config.RateLimitOf(client), "skip_invalid", h.SkipInvalid,
			"verify", h.Verify.Enabled, "keep_security_groups", h.Verify.KeepSecurityGroups)
	}
	return h
}

// misconfigured makes h refuse every invocation with err.
func (h *Handler) misconfigured(logger *slog.Logger, err error) *Handler {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	h.ConfigErr = &answer.Error{Code: answer.CodeInvalidConfig, Message: msg}
	logger.Error("invalid configuration", "error", msg)
	return h
}
