package cvm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RetryPolicy says how Client.Call retries a call that failed in a way that
// is safe to retry (see Retryable). Its zero value makes one attempt only.
type RetryPolicy struct {
	// MaxRetries is how many attempts may follow the first (MAX_RETRIES).
	MaxRetries int
	// BaseDelay and MaxDelay shape the backoff before retry n: a duration
	// drawn uniformly from [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)] ("full jitter").
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt; 0 leaves only the caller's deadline.
	AttemptTimeout time.Duration
	// MinTimeLeft is the least time before the caller's deadline at which an
	// attempt may still start; the slowest recent attempt raises it.
	MinTimeLeft time.Duration
}

// DefaultRetryPolicy is what New sets: 3 retries (4 attempts), backoff
// capped at 200 ms, 400 ms, 800 ms, 30 s per attempt, and no attempt
// started with less than 200 ms left.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxRetries:     3,
		BaseDelay:      200 * time.Millisecond,
		MaxDelay:       5 * time.Second,
		AttemptTimeout: 30 * time.Second,
		MinTimeLeft:    200 * time.Millisecond,
	}
}

// ErrNoTimeLeft is returned, together with context.DeadlineExceeded, when
// the caller's deadline leaves no time for an attempt (the first or a
// retry). Result.Attempts says how many were made.
var ErrNoTimeLeft = errors.New("no time left before the deadline for an attempt")

// StatusError is the answer of an endpoint that replied with an HTTP status
// other than 2xx. It wraps ErrBadResponse.
type StatusError struct {
	Host       string
	StatusCode int
	Body       string // described ("text/html, 52 bytes"), never echoed
}

func (e *StatusError) Error() string {
	return ErrBadResponse.Error() + ": " + e.Host + " answered HTTP " + strconv.Itoa(e.StatusCode) + " (" + e.Body + ")"
}

// Unwrap makes errors.Is(err, ErrBadResponse) hold.
func (e *StatusError) Unwrap() error { return ErrBadResponse }

// Retryable reports whether a call that got res and err may be sent again,
// judged on the upstream's answer only. ModifyInstancesProject is
// idempotent, so a call whose answer was lost may be repeated.
//
//	retried      network errors (refused, reset, EOF, timeouts), HTTP 5xx and 429,
//	             answers that are not the API's JSON, InternalServerError*,
//	             InternalError*, RequestLimitExceeded*, AuthFailure.SignatureExpire
//	not retried  success; every other code (validation, not found, not supported,
//	             permission, signature, token); other HTTP 4xx; the caller's own
//	             deadline or cancellation; DNS names that do not exist; TLS
//	             certificate failures
func Retryable(res Result, err error) bool {
	if err != nil {
		return retryableError(err)
	}
	code := res.Code
	switch {
	case code == "":
		return false
	case code == "AuthFailure.SignatureExpire":
		return true // clock skew or a slow network; a new timestamp fixes it
	}
	for _, family := range []string{"InternalServerError", "InternalError", "RequestLimitExceeded"} {
		if code == family || strings.HasPrefix(code, family+".") {
			return true
		}
	}
	return false
}

func retryableError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's context, not the network: no time for another
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 500 || se.StatusCode == 429
	}
	if errors.Is(err, ErrBadResponse) {
		return true // truncated or not the API's JSON
	}
	if !errors.Is(err, ErrUnreachable) {
		return false // building or signing the request failed: it would fail again
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostnameErr) {
		return false
	}
	return true
}

// Backoff returns the pause before retry n (1 for the first retry): a
// duration drawn by randN (like rand.Int64N) from [0, min(max, base·2ⁿ⁻¹)].
func Backoff(n int, base, max time.Duration, randN func(int64) int64) time.Duration {
	if n < 1 || base <= 0 {
		return 0
	}
	ceiling := base
	for i := 1; i < n && ceiling < max; i++ {
		ceiling *= 2
	}
	if max > 0 && ceiling > max {
		ceiling = max
	}
	return time.Duration(randN(int64(ceiling) + 1))
}

// TimeForAttempt reports whether an attempt may start at now before
// deadline (hasDeadline false: no deadline): when at least the larger of
// minLeft and slowest (the slowest recent attempt) is left.
func TimeForAttempt(now, deadline time.Time, hasDeadline bool, minLeft, slowest time.Duration) bool {
	if !hasDeadline {
		return true
	}
	need := max(minLeft, slowest)
	return deadline.Sub(now) >= need
}

// recentAttempts remembers how long the last attempts took, so that no
// attempt starts when it would likely not finish before the deadline.
// Its size is fixed: a warm process keeps it for every invocation.
type recentAttempts struct {
	mu   sync.Mutex
	took [recentWindow]time.Duration
	at   [recentWindow]time.Time
	next int
}

const (
	recentWindow = 16          // attempts remembered
	recentMaxAge = time.Minute // an attempt older than this is forgotten
)

func (r *recentAttempts) add(now time.Time, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.took[r.next], r.at[r.next] = took, now
	r.next = (r.next + 1) % recentWindow
}

// slowest returns the longest of the remembered attempts that ended within
// recentMaxAge of now.
func (r *recentAttempts) slowest(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s time.Duration
	for i, at := range r.at {
		if !at.IsZero() && now.Sub(at) <= recentMaxAge && r.took[i] > s {
			s = r.took[i]
		}
	}
	return s
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randInt64N(n int64) int64 { return rand.Int64N(n) }
