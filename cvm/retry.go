package cvm

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"scf-cvm-project/internal/retry"
)

// RetryPolicy says how Client.Call retries a call that failed in a way that
// is safe to retry (see Retryable). Its zero value makes one attempt only.
type RetryPolicy struct {
	// MaxRetries is how many attempts may follow the first (MAX_RETRIES).
	// Throttles count among them unless ThrottleBaseDelay is set.
	MaxRetries int
	// BaseDelay and MaxDelay shape the backoff before retry n: a duration
	// drawn uniformly from [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)] ("full jitter").
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt; 0 leaves only the caller's deadline.
	AttemptTimeout time.Duration
	// MinTimeLeft is the least time before the caller's deadline at which an
	// attempt may still start; for a retry, the slowest recent attempt
	// raises it (to at most SlowestShare of the call's time budget).
	MinTimeLeft time.Duration

	// ThrottleBaseDelay, when set, retries throttles (RequestLimitExceeded*,
	// HTTP 429) apart from other failures: they do not count against
	// MaxRetries, the pause before the n-th retry of a throttle is drawn
	// from [0, min(ThrottleMaxDelay, ThrottleBaseDelay·2ⁿ⁻¹)], and they are
	// retried until no attempt fits before the caller's deadline; a call
	// without a deadline gives up after MaxThrottleRetries of them. Zero
	// (DefaultRetryPolicy): a throttle is retried like any other failure.
	ThrottleBaseDelay, ThrottleMaxDelay time.Duration
	MaxThrottleRetries                  int
}

// DefaultRetryPolicy is what New sets: 3 retries (4 attempts), backoff
// capped at 200 ms, 400 ms, 800 ms, 30 s per attempt, and no attempt
// started with less than 200 ms left. Throttles are retries like others;
// WithThrottleRetries retries them until the deadline.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxRetries:     3,
		BaseDelay:      200 * time.Millisecond,
		MaxDelay:       5 * time.Second,
		AttemptTimeout: 30 * time.Second,
		MinTimeLeft:    200 * time.Millisecond,
	}
}

// The throttle backoff WithThrottleRetries sets.
const (
	DefaultThrottleBaseDelay  = 250 * time.Millisecond
	DefaultThrottleMaxDelay   = time.Second
	DefaultMaxThrottleRetries = 8 // without a deadline: at most 6.75 s of pauses
)

// WithThrottleRetries returns p retrying throttles until the deadline
// (see ThrottleBaseDelay): full jitter from 250 ms, capped at 1 s, and at
// most 8 throttle retries for a call without a deadline. The pause is
// short because the action's adaptive rate (Client.Rates) already paces
// every attempt (a throttle cuts it, and the retry waits for its turn at
// the cut rate): a longer pause only leaves the account's limit unused,
// at the start of a fleet's run (its reads) and at its end (BenchmarkFleet
// in e2e, VERIFY=true: 10 processes of 600 instances at a median 1.15x
// the floor, worst 1.45x, with 1 s capped at 2 s; 1.17x, worst 1.23x,
// with 250 ms capped at 1 s; 20 of 300: 1.14x / 1.51x against 1.13x / 1.14x).
func (p RetryPolicy) WithThrottleRetries() RetryPolicy {
	p.ThrottleBaseDelay, p.ThrottleMaxDelay, p.MaxThrottleRetries = DefaultThrottleBaseDelay, DefaultThrottleMaxDelay, DefaultMaxThrottleRetries
	return p
}

// SlowestShare is the most of a call's time budget (from its start to the
// caller's deadline) that the slowest recent attempt may demand be left
// before a retry starts: one slow answer must not stop every retry of the
// next minute's calls.
const SlowestShare = 0.5

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
	return res.Code != "" && retry.Code(res.Code)
}

// Throttled reports whether a call that got res and err was throttled:
// RequestLimitExceeded or a sub-code, or HTTP 429.
func Throttled(res Result, err error) bool {
	if err != nil {
		var se *StatusError
		return errors.As(err, &se) && se.StatusCode == 429
	}
	return retry.Throttle(res.Code)
}

func retryableError(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return retry.Status(se.StatusCode)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's context, not the network: no time for another
	}
	if errors.Is(err, ErrBadResponse) {
		return true // truncated or not the API's JSON
	}
	if !errors.Is(err, ErrUnreachable) {
		return false // building or signing the request failed: it would fail again
	}
	return retry.Network(err)
}

// Backoff returns the pause before retry n (1 for the first retry): a
// duration drawn by randN (like rand.Int64N) from [0, min(max, base·2ⁿ⁻¹)].
func Backoff(n int, base, max time.Duration, randN func(int64) int64) time.Duration {
	return retry.Backoff(n, base, max, randN)
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
func sleep(ctx context.Context, d time.Duration) error { return retry.Sleep(ctx, d) }

func randInt64N(n int64) int64 { return retry.Int64N(n) }
