package config

import (
	"context"
	"strings"

	"github.com/tencentyun/scf-go-lib/functioncontext"
)

// Snapshot is the variables a reader of settings read, in order, with the
// values it got: what a Config (or a credential chain) was built from.
type Snapshot struct{ keys, values []string }

// Record returns a getenv that reads through get and notes in s each
// variable read, with its value, so that what a reader of settings depends
// on is known without listing it. s is not to be compared (Same) while a
// reader still reads through it.
func (s *Snapshot) Record(get func(string) string) func(string) string {
	return func(k string) string {
		v := get(k)
		s.keys, s.values = append(s.keys, k), append(s.values, v)
		return v
	}
}

// Same reports whether every variable of s still has its value under getenv.
func (s *Snapshot) Same(getenv func(string) string) bool {
	for i, k := range s.keys {
		if getenv(k) != s.values[i] {
			return false
		}
	}
	return true
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
