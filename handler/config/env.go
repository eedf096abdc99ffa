package config

import (
	"context"
	"strings"
	"sync"

	"github.com/tencentyun/scf-go-lib/functioncontext"
)

// NewRecorder returns a Recorder that reads through get while recording,
// and through after once stopped.
func NewRecorder(get, after func(string) string) *Recorder {
	return &Recorder{get: get, after: after}
}

// Snapshot is the variables a reader of settings read, in order, with the
// values it got: what a Config (or a credential chain) was built from.
type Snapshot struct{ keys, values []string }

// Same reports whether every variable of s still has its value under getenv.
func (s *Snapshot) Same(getenv func(string) string) bool {
	for i, k := range s.keys {
		if getenv(k) != s.values[i] {
			return false
		}
	}
	return true
}

// Recorder records the variables read through its Getenv until Stop, so
// that what a reader of settings depends on is known without listing it.
type Recorder struct {
	get     func(string) string // while recording
	after   func(string) string // after stop
	mu      sync.Mutex
	stopped bool
	snap    Snapshot
}

// Getenv reads k through get, recording it, or through after once stopped.
func (r *Recorder) Getenv(k string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return r.after(k)
	}
	v := r.get(k)
	r.snap.keys, r.snap.values = append(r.snap.keys, k), append(r.snap.values, v)
	return v
}

// Stop ends the recording and returns it.
func (r *Recorder) Stop() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	return r.snap
}

// AtStart returns a getenv over environ, the process's environment as it
// was at start (os.Environ() before the runtime serves): SCF's Go runtime
// applies each invocation's Environment with os.Setenv and never unsets a
// variable, so os.Getenv would keep what an earlier invocation set. The
// first of two entries for a name wins, as with os.Getenv.
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

// ForInvocation returns the variables of the invocation in ctx: its
// Environment (which SCF's Go runtime applies just before the call), else
// the process's at start (getenv, see AtStart). A variable an earlier
// invocation set and this one lacks is the start's, not the earlier's.
func ForInvocation(ctx context.Context, getenv func(string) string) func(string) string {
	fc, ok := functioncontext.FromContext(ctx)
	if !ok || len(fc.Environment) == 0 {
		return getenv
	}
	env := fc.Environment
	return func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return getenv(k)
	}
}
