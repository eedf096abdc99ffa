package handler

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"scf-cvm-project/credentials"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/run"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"
)

// Version is the binary's version, named in the configured log line; main
// sets it from the VERSION file before NewFromEnv.
var Version = "dev"

// settings keeps a Handler in step with the function's variables, read at
// every invocation (AtStart overlaid with the invocation's Environment): when
// one differs from those the current Handler was built from, one is built
// anew, and each invocation runs with the Handler of the variables it saw.
type settings struct {
	getenv     func(string) string // the process's variables at start (AtStart)
	logger     *slog.Logger        // NewFromEnv's, in an invocationLog
	httpClient *http.Client        // one pool of connections for every API, STS and metadata

	mu  sync.Mutex // serialises builds
	cur atomic.Pointer[built]
	// latest is the variables of the latest invocation, through which the
	// credential providers read the keys, which rotate, at every call.
	latest atomic.Pointer[func(string) string]
}

// invocationEnv reads k from the latest invocation's variables (the
// process's at start before the first: NewFromEnv stores them).
func (s *settings) invocationEnv(k string) string { return (*s.latest.Load())(k) }

// built is a Handler and what it was built from.
type built struct {
	h      *Handler
	config snapshot      // what config.Load read
	creds  snapshot      // what credentials.FromEnv read
	cfg    config.Config // zero when it was bad
	// provider is the credential chain (its cache included) and name what
	// the configured line calls it; nil when the credential settings were bad.
	provider credentials.Provider
	name     string
}

// handler returns the Handler of the variables of the invocation in ctx (its
// Environment over the process's at start), building it when they changed.
func (s *settings) handler(ctx context.Context) *Handler {
	getenv := s.getenv
	if fc, ok := functioncontext.FromContext(ctx); ok && len(fc.Environment) > 0 {
		getenv = func(k string) string {
			if v, ok := fc.Environment[k]; ok {
				return v
			}
			return s.getenv(k)
		}
	}
	s.latest.Store(&getenv)
	if b := s.cur.Load(); b.config.same(getenv) && b.creds.same(getenv) {
		return b.h
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.cur.Load()
	if prev.config.same(getenv) && prev.creds.same(getenv) {
		return prev.h
	}
	b := s.build(getenv, prev)
	s.cur.Store(b)
	return b.h
}

// build reads the settings through getenv into a Handler. The CVM client
// (its rate) and the credential provider (its cache) of prev are kept when
// their own settings did not change.
func (s *settings) build(getenv func(string) string, prev *built) *built {
	h := &Handler{Runner: run.Runner{Logger: s.logger}, AnswerMargin: 200 * time.Millisecond}
	b := &built{h: h}
	cfg, err := config.Load(b.config.record(getenv), os.ReadFile, s.httpClient, s.logger)
	h.secrets = cfg.Secrets
	// The credentials are read even when the rest is bad, so the snapshot
	// covers their variables.
	b.provider, b.name, b.creds = prev.provider, prev.name, prev.creds
	if b.provider == nil || !prev.creds.same(getenv) {
		b.creds = snapshot{}
		var perr error
		if b.provider, b.name, perr = credentials.FromEnv(b.creds.record(getenv), s.invocationEnv, s.httpClient, s.logger); err == nil {
			err = perr
		}
	}
	if err != nil {
		h.misconfigured(err)
		return b
	}
	if p := prev.cfg; p.CVM != nil && p.CVM.Endpoint() == cfg.CVM.Endpoint() && p.CVM.Method() == cfg.CVM.Method() &&
		p.Tuning.MaxRetries == cfg.Tuning.MaxRetries && p.Tuning.RateLimit == cfg.Tuning.RateLimit {
		cfg.CVM = p.CVM // and its rate
	}
	b.cfg = cfg
	h.DefaultRegion, h.Security, h.Rules, h.Verify = cfg.DefaultRegion, cfg.Security, cfg.Rules, cfg.Verify
	h.MaxConcurrency, h.SkipInvalid = cfg.Tuning.MaxConcurrency, cfg.Tuning.SkipInvalid
	h.CVM, h.Preparer, h.Credentials = cfg.CVM, cfg.CVM, b.provider
	// The Tag API writes KEEP_SECURITY_GROUPS' records (finished even with
	// the setting off) and resolves projects' names; the SCF API fans out.
	h.Tags, h.Projects, h.Account = cfg.Tags, &rules.Projects{Tags: cfg.Tags}, cfg.Account
	h.FanOut = run.FanOut{SCF: cfg.SCF, FunctionName: cfg.Account.FunctionName, Namespace: cfg.Account.Namespace, Region: cfg.DefaultRegion}
	// The configured line is written as the Handler is built: at a cold
	// start beside the runtime's start (main builds it there), off the
	// first invocation's path; after a setting changed, at the invocation
	// that saw it.
	c, security := cfg.CVM, h.Security
	h.Logger.Info("configured", "version", Version, "endpoint", c.Endpoint(), "signature_method", string(c.Method()), "default_region", h.DefaultRegion,
		"http_auth", security.HTTPAuth(), "allow_get", security.AllowGET, "allowed_project_ids", security.AllowedProjectIDs,
		"max_instances", security.InstanceLimit(), "dry_run", security.DryRun, "rules", len(h.Rules), "credentials", b.name,
		"max_retries", c.Retry.MaxRetries, "max_concurrency", h.MaxConcurrency, "rate_limit", cfg.Tuning.RateLimit, "skip_invalid", h.SkipInvalid)
	return b
}

// NewFromEnv builds the Handler from config.Load and credentials.FromEnv,
// read through getenv (the process's variables at start, AtStart) and again
// at each invocation (see settings). A bad setting is logged and answered to
// every invocation as InternalError.InvalidConfig, never replaced by a default.
func NewFromEnv(getenv func(string) string, logger *slog.Logger) *Handler {
	// One client for every invocation, so a warm instance reuses connections;
	// no overall timeout: each call's context carries its deadline.
	httpClient := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
	s := &settings{getenv: getenv, logger: slog.New(invocationLog{logger.Handler()}), httpClient: httpClient}
	s.latest.Store(&getenv)
	b := s.build(getenv, &built{})
	b.h.settings = s
	s.cur.Store(b)
	return b.h
}

// snapshot is the variables a reader of settings read, in order, with the
// values it got: what a Config (or a credential chain) was built from.
type snapshot struct{ keys, values []string }

// record returns a getenv that reads through get and notes in s each
// variable read, with its value, so that what a reader of settings depends
// on is known without listing it. s is not to be compared (same) while a
// reader still reads through it.
func (s *snapshot) record(get func(string) string) func(string) string {
	return func(k string) string {
		v := get(k)
		s.keys, s.values = append(s.keys, k), append(s.values, v)
		return v
	}
}

// same reports whether every variable of s still has its value under getenv.
func (s *snapshot) same(getenv func(string) string) bool {
	for i, k := range s.keys {
		if getenv(k) != s.values[i] {
			return false
		}
	}
	return true
}

// AtStart returns a getenv over environ, the process's environment at start:
// SCF's Go runtime applies each invocation's Environment with os.Setenv and
// never unsets, so os.Getenv keeps what earlier invocations set. The first of
// two entries for a name wins, as with os.Getenv.
func AtStart(environ []string) func(string) string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, dup := m[k]; !dup {
				m[k] = v
			}
		}
	}
	return func(k string) string { return m[k] }
}

// misconfigured makes h refuse every invocation with err.
func (h *Handler) misconfigured(err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	h.ConfigErr = &answer.Error{Code: answer.CodeInvalidConfig, Message: msg}
	h.Logger.Error("invalid configuration", "error", msg)
}

// invocationLog adds the invocation's function_request_id (from SCF's
// function context) to every record logged with a context, so that every
// line of an invocation, the packages' below handler (cvm, credentials)
// too, is tied to it without knowing of the SCF runtime.
type invocationLog struct{ slog.Handler }

// Handle adds function_request_id when ctx carries one.
func (h invocationLog) Handle(ctx context.Context, r slog.Record) error {
	if id := invocationID(ctx); id != "" {
		r.AddAttrs(slog.String("function_request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapping.
func (h invocationLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return invocationLog{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapping.
func (h invocationLog) WithGroup(name string) slog.Handler {
	return invocationLog{h.Handler.WithGroup(name)}
}
