package handler

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/config"
)

// Version is the binary's version, named in the configured log line. main
// sets it before NewFromEnv.
var Version string

// settings keeps a Handler built from the function's variables in step with
// them. SCF's Go runtime applies each invocation's Environment just before
// it calls the function, so the variables are read for every invocation
// (from the invocation's Environment, else the process's) and compared with
// those the current Handler was built from; when one differs, a Handler is
// built anew. An invocation always runs with the Handler of the variables
// it saw, whatever concurrent invocations saw: a guard given only in an
// invocation's environment is never skipped.
type settings struct {
	getenv     func(string) string // the process's variables (os.Getenv)
	logger     *slog.Logger
	httpClient *http.Client // one pool of connections for CVM, STS and metadata

	mu  sync.Mutex // serialises builds
	cur atomic.Pointer[built]
}

// built is a Handler and what it was built from.
type built struct {
	h      *Handler
	config snapshot      // what config.Load read
	creds  snapshot      // what credentials.FromEnv read
	cfg    config.Config // nil client when cfg was bad
	client *cvm.Client
	// provider is the credential chain (its cache included); nil when the
	// credential settings were bad.
	provider credentials.Provider
}

// snapshot is the variables a step read, in order, with their values.
type snapshot struct{ keys, values []string }

// same reports whether every variable of s still has its value under getenv.
func (s *snapshot) same(getenv func(string) string) bool {
	for i, k := range s.keys {
		if getenv(k) != s.values[i] {
			return false
		}
	}
	return true
}

// recorder records the variables read through get until stop.
type recorder struct {
	get     func(string) string // while recording
	after   func(string) string // after stop
	mu      sync.Mutex
	stopped bool
	snap    snapshot
}

func (r *recorder) getenv(k string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return r.after(k)
	}
	v := r.get(k)
	r.snap.keys, r.snap.values = append(r.snap.keys, k), append(r.snap.values, v)
	return v
}

func (r *recorder) stop() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	return r.snap
}

// forInvocation returns the variables of the invocation in ctx: its
// Environment, else the process's.
func (s *settings) forInvocation(ctx context.Context) func(string) string {
	fc, ok := functioncontext.FromContext(ctx)
	if !ok || len(fc.Environment) == 0 {
		return s.getenv
	}
	env := fc.Environment
	return func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return s.getenv(k)
	}
}

// handler returns the Handler built from the variables of the invocation
// in ctx, building it when they changed.
func (s *settings) handler(ctx context.Context) *Handler {
	getenv := s.forInvocation(ctx)
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
	b := &built{}
	h := &Handler{
		Credentials:  credentials.Env{Getenv: s.getenv},
		Logger:       s.logger,
		AnswerMargin: answerMargin,
	}
	b.h = h
	rec := &recorder{get: getenv, after: getenv}
	cfg, err := config.Load(rec.getenv, os.ReadFile)
	b.config = rec.stop()
	b.cfg = cfg
	h.secrets = h.secrets.With(cfg.Secrets...)
	h.DefaultRegion, h.Security, h.Rules = cfg.DefaultRegion, cfg.Security, cfg.Rules
	h.MaxConcurrency, h.SkipInvalid = cfg.Tuning.MaxConcurrency, cfg.Tuning.SkipInvalid

	// The credentials are read even when the rest is bad, so that the
	// snapshot covers their variables too.
	var provider credentials.Provider
	var perr error
	if prev != nil && prev.provider != nil && prev.creds.same(getenv) {
		provider, b.creds = prev.provider, prev.creds
	} else {
		// Env keeps reading the keys, which rotate, at every call: from the
		// process, where the runtime put the invocation's.
		crec := &recorder{get: getenv, after: s.getenv}
		provider, perr = credentials.FromEnv(crec.getenv, s.httpClient, s.logger)
		b.creds = crec.stop()
	}
	if err != nil {
		h.misconfigured(s.logger, err)
		return b
	}
	client := reuseClient(prev, cfg)
	if client == nil {
		if client, err = cfg.NewClient(s.httpClient, slog.New(invocationLog{s.logger.Handler()})); err != nil {
			h.misconfigured(s.logger, err)
			return b
		}
	}
	b.client = client
	h.CVM, h.Preparer = client, client
	if perr != nil {
		h.misconfigured(s.logger, perr)
		return b
	}
	b.provider = provider
	h.Credentials = provider
	h.startup = func() { h.logConfigured(client, provider) }
	return b
}

// reuseClient returns prev's client when cfg calls the same endpoint, with
// the same method and tuning; nil otherwise.
func reuseClient(prev *built, cfg config.Config) *cvm.Client {
	if prev == nil || prev.client == nil {
		return nil
	}
	p := prev.cfg
	if p.Endpoint != cfg.Endpoint || p.SignatureMethod != cfg.SignatureMethod || p.Tuning != cfg.Tuning {
		return nil
	}
	return prev.client
}
