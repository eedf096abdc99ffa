package credentials

import (
	"context"
	"sync"
	"time"
)

// Renewing gives the keys it was started with until they expire, then asks
// its Provider for new ones (and keeps those): the keys of one invocation,
// renewed when a long run outlives them. It is safe for concurrent use.
type Renewing struct {
	provider Provider
	now      func() time.Time

	mu      sync.Mutex
	current Credentials
	issued  []Credentials // every set handed out, for the masking of a panic's log line
}

// NewRenewing returns a Renewing that gives first until it expires.
func NewRenewing(p Provider, first Credentials) *Renewing {
	return &Renewing{provider: p, now: time.Now, current: first, issued: []Credentials{first}}
}

// Retrieve returns the current keys, or new ones from the provider when
// they have expired. The caller checks the new ones' expiry (a provider
// may give expired keys).
func (r *Renewing) Retrieve(ctx context.Context) (Credentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.current.Expired(r.now()) {
		return r.current, nil
	}
	fresh, err := r.provider.Retrieve(ctx)
	if err != nil {
		return Credentials{}, err
	}
	r.current = fresh
	r.issued = append(r.issued, fresh)
	return fresh, nil
}

// Secrets returns the SecretKey and Token of every set of keys handed out
// so far, for a log's masking.
func (r *Renewing) Secrets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, 2*len(r.issued))
	for _, c := range r.issued {
		out = append(out, c.SecretKey, c.Token)
	}
	return out
}
