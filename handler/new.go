package handler

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
)

// answerMargin is the Handler's AnswerMargin when built from the settings.
const answerMargin = 200 * time.Millisecond

// NewFromEnv builds the Handler from the function's settings
// (config.Load) and the credential providers (credentials.FromEnv), read
// through getenv now, and again at each invocation from the invocation's
// Environment overlaid on getenv, which is the process's environment at
// start (config.AtStart(os.Environ()); not os.Getenv, which keeps what an
// earlier invocation's Environment set): when a variable the function reads changed, the Handler that
// serves the invocation is built anew. A bad setting is logged when it is
// read and answered to every invocation as InternalError.InvalidConfig,
// never silently replaced by a default nor run unguarded.
func NewFromEnv(getenv func(string) string, logger *slog.Logger) *Handler {
	s := &settings{getenv: getenv, logger: logger, httpClient: config.NewHTTPClient()}
	b := s.build(getenv, nil)
	b.h.settings = s
	s.cur.Store(b)
	return b.h
}

// logConfigured says which settings are in force. It runs at a Handler's
// first invocation, not when it is built: a log write before the runtime
// listens measurably delays the cold start's first Ping.
func (h *Handler) logConfigured(client *cvm.Client, provider credentials.Provider) {
	security := h.Security
	h.logger().Info("configured", "version", version(), "endpoint", client.Endpoint(), "signature_method", string(client.Method()), "default_region", h.DefaultRegion,
		"http_auth", security.HTTPAuth(), "allow_get", security.AllowGET, "allowed_project_ids", security.AllowedProjectIDs,
		"max_instances", security.InstanceLimit(), "dry_run", security.DryRun, "rules", len(h.Rules), "credentials", fmt.Sprint(provider),
		"max_retries", client.Retry.MaxRetries, "max_concurrency", h.MaxConcurrency, "rate_limit", config.RateLimitOf(client), "skip_invalid", h.SkipInvalid)
}

// version is Version, or "dev" when main did not set it.
func version() string {
	if Version == "" {
		return "dev"
	}
	return Version
}

// misconfigured makes h refuse every invocation with err.
func (h *Handler) misconfigured(logger *slog.Logger, err error) *Handler {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	h.ConfigErr = &answer.Error{Code: answer.CodeInvalidConfig, Message: msg}
	logger.Error("invalid configuration", "error", msg)
	return h
}
