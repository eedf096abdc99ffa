package handler

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/run"
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
	config config.Snapshot // what config.Load read
	creds  config.Snapshot // what credentials.FromEnv read
	cfg    config.Config   // nil client when cfg was bad
	client *cvm.Client
	// provider is the credential chain (its cache included); nil when the
	// credential settings were bad.
	provider credentials.Provider
}

// handler returns the Handler built from the variables of the invocation
// in ctx, building it when they changed.
func (s *settings) handler(ctx context.Context) *Handler {
	getenv := config.ForInvocation(ctx, s.getenv)
	if b := s.cur.Load(); b.config.Same(getenv) && b.creds.Same(getenv) {
		return b.h
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.cur.Load()
	if prev.config.Same(getenv) && prev.creds.Same(getenv) {
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
		Runner:       run.Runner{Logger: s.logger},
		Credentials:  credentials.Env{Getenv: s.getenv},
		AnswerMargin: answerMargin,
	}
	b.h = h
	rec := config.NewRecorder(getenv, getenv)
	cfg, err := config.Load(rec.Getenv, os.ReadFile)
	b.config = rec.Stop()
	b.cfg = cfg
	h.secrets = h.secrets.With(cfg.Secrets...)
	h.DefaultRegion, h.Security, h.Rules = cfg.DefaultRegion, cfg.Security, cfg.Rules
	h.MaxConcurrency, h.SkipInvalid = cfg.Tuning.MaxConcurrency, cfg.Tuning.SkipInvalid
	h.Verify = cfg.Verify

	// The credentials are read even when the rest is bad, so that the
	// snapshot covers their variables too.
	var provider credentials.Provider
	var perr error
	if prev != nil && prev.provider != nil && prev.creds.Same(getenv) {
		provider, b.creds = prev.provider, prev.creds
	} else {
		// Env keeps reading the keys, which rotate, at every call: from the
		// process, where the runtime put the invocation's.
		crec := config.NewRecorder(getenv, s.getenv)
		provider, perr = credentials.FromEnv(crec.Getenv, s.httpClient, s.logger)
		b.creds = crec.Stop()
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
	if cfg.Verify.KeepSecurityGroups {
		if h.Tags, err = cfg.NewTagClient(s.httpClient, slog.New(invocationLog{s.logger.Handler()})); err != nil {
			h.misconfigured(s.logger, err)
			return b
		}
	}
	if err = h.wireAccount(cfg, s.httpClient, slog.New(invocationLog{s.logger.Handler()})); err != nil {
		h.misconfigured(s.logger, err)
		return b
	}
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
	if p.Endpoint != cfg.Endpoint || p.SignatureMethod != cfg.SignatureMethod || p.Tuning != cfg.Tuning || p.TagEndpoint != cfg.TagEndpoint || p.Verify != cfg.Verify {
		return nil
	}
	return prev.client
}
