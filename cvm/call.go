package cvm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/internal/retry"
)

// RetryPolicy says how Call retries (Check judges each failure). Its zero
// value makes one attempt.
type RetryPolicy struct {
	// MaxRetries is how many attempts may follow the first (MAX_RETRIES);
	// throttles count among them unless ThrottleBaseDelay is set.
	MaxRetries int
	// BaseDelay and MaxDelay: full jitter from [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)].
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt; 0 leaves only the caller's deadline.
	AttemptTimeout time.Duration
	// MinTimeLeft is the least time before the deadline at which an attempt
	// may start; for a retry, the slowest recent attempt raises it (to at
	// most SlowestShare of the call's time budget).
	MinTimeLeft time.Duration
	// ThrottleBaseDelay, when set, gives throttles their own backoff, not
	// counted in MaxRetries, until no attempt fits before the deadline (or
	// MaxThrottleRetries without one).
	ThrottleBaseDelay, ThrottleMaxDelay time.Duration
	MaxThrottleRetries                  int
}

// WithThrottleRetries returns p retrying throttles until the deadline, full
// jitter from 250 ms capped at 1 s (8 retries without a deadline): the
// adaptive rate already paces every attempt (a throttle cuts it, and the
// retry waits for its turn at the cut rate), so a longer pause only leaves
// the account's limit unused (e2e BenchmarkFleet, 10 processes of 600: a
// median of 1.17x the floor, worst 1.23x, against 1.15x and 1.45x with 1 s
// capped at 2 s).
func (p RetryPolicy) WithThrottleRetries() RetryPolicy {
	p.ThrottleBaseDelay, p.ThrottleMaxDelay, p.MaxThrottleRetries = DefaultThrottleBaseDelay, DefaultThrottleMaxDelay, DefaultMaxThrottleRetries
	return p
}

// The throttle backoff WithThrottleRetries sets.
const (
	DefaultThrottleBaseDelay  = 250 * time.Millisecond
	DefaultThrottleMaxDelay   = time.Second
	DefaultMaxThrottleRetries = 8
)

// SlowestShare is the most of a call's budget (start to deadline) that the
// slowest recent attempt may demand be left before a retry.
const SlowestShare = 0.5

// Result is what a call's last attempt got: its RequestId (of a refusal
// too), its latency, and the attempts made.
type Result struct {
	RequestID string
	Latency   time.Duration
	Attempts  int
}

// Call sends action in region, signed with the keys that keys gives for
// each attempt, through the one retry loop (retry.Do with Check and
// c.Retry). The Response is decoded into out when out is not nil. A refusal
// is an *APIError; a call that got no API answer wraps ErrUnreachable or
// ErrBadResponse; one never sent wraps ErrNotSent.
//
// Each attempt is built and signed anew (retry.Stamps), waits its turn at
// the action's rate (c.Rates), refuses expired keys, and is logged on its
// own line. No attempt starts when the deadline leaves less than
// MinTimeLeft (a retry: the slowest recent attempt, capped at
// SlowestShare of the budget); then Call returns an error wrapping
// ErrNoTimeLeft and context.DeadlineExceeded at once.
func (c *Client) Call(ctx context.Context, keys credentials.Provider, region string, action Action, out any) (Result, error) {
	name := action.ActionName()
	var (
		res     Result
		lastErr error
		source  string
		began   = c.Clock()
		stamps  retry.Stamps
		made    int
	)
	need := func() time.Duration { return c.need(ctx, began, made) }
	dl, bounded := ctx.Deadline()
	renew, renewed := false, false
	p := retry.Policy{
		Check: func(err error) retry.Verdict {
			// Keys the API says expired (a clock apart, or revoked early) are
			// renewed and the call sent again, once (as the AWS SDKs do).
			if Code(err) == CodeTokenFailure && !renewed {
				renew, renewed = true, true
				return retry.Again
			}
			renew = false
			return Check(err)
		},
		MaxRetries: c.Retry.MaxRetries, Base: c.Retry.BaseDelay, Max: c.Retry.MaxDelay,
		ThrottleBase: c.Retry.ThrottleBaseDelay, ThrottleMax: c.Retry.ThrottleMaxDelay, MaxThrottleRetries: c.Retry.MaxThrottleRetries,
		Room:  func(context.Context) (time.Duration, bool) { return dl.Sub(c.Clock()) - need(), bounded },
		Sleep: c.Sleep, Rand: c.Rand,
	}
	attempts, err := retry.Do(ctx, p, func(n int) error {
		// The action's turn at its rate, unless it would leave too little time.
		least := need()
		fits := func(at time.Time) bool { return !bounded || dl.Sub(at) >= least }
		if err := c.Rates.Wait(ctx, name, c.Clock, c.Sleep, fits); err != nil {
			if errors.Is(err, ratelimit.ErrTooLate) {
				return fmt.Errorf("%s: %w", name, retry.NoTimeLeft(made, lastErr))
			}
			return fmt.Errorf("%s: waiting for the rate limit: %w", name, err)
		}
		// Keys that would expire during the attempt are renewed first; after
		// a refusal of expired keys, renewed whatever their expiry says.
		need := c.Clock().Add(c.keyMargin())
		if renew {
			need = need.Add(24 * time.Hour)
		}
		creds, err := keys.Retrieve(credentials.NeedUntil(ctx, need))
		if err == nil && creds.Expired(c.Clock()) {
			err = ErrKeysExpired
		}
		if err != nil {
			return fmt.Errorf("%s %w: %w", name, ErrNotSent, err)
		}
		source = creds.Source
		res, lastErr = c.attempt(ctx, creds, region, action, stamps.Next(c.Now()), out)
		made = n
		return lastErr
	}, func(n int, err error, again bool) {
		if n == made { // an attempt that was sent
			c.log(ctx, source, action, n, again, res, err)
		}
	})
	res.Attempts = attempts
	return res, err
}

// CodeTokenFailure is the API's refusal of a temporary key's token, the
// answer to keys that expired.
const CodeTokenFailure = "AuthFailure.TokenFailure"

// keyMargin is how long keys must outlive the start of an attempt: twice
// the slowest recent attempt, at least a second, at most AttemptTimeout.
func (c *Client) keyMargin() time.Duration {
	m := max(2*c.recent.slowest(c.Clock()), time.Second)
	if c.Retry.AttemptTimeout > 0 {
		m = min(m, c.Retry.AttemptTimeout)
	}
	return m
}

// attempt builds, signs and sends one request, bounded by AttemptTimeout,
// and remembers its latency unless the caller's deadline cut it.
func (c *Client) attempt(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64, out any) (Result, error) {
	attemptCtx := ctx
	if c.Retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeout(ctx, c.Retry.AttemptTimeout)
		defer cancel()
	}
	req, err := c.newRequest(attemptCtx, creds, region, action, ts)
	if err != nil {
		return Result{}, err
	}
	start := c.Clock()
	c.Rates.Sent(action.ActionName(), start)
	res, err := c.send(req, action.ActionName(), out)
	end := c.Clock()
	res.Latency = end.Sub(start)
	if ctx.Err() == nil {
		c.recent.add(end, res.Latency)
	}
	if err != nil && ctx.Err() == nil && attemptCtx.Err() != nil {
		// Our own bound on one attempt: a network timeout, worth another.
		err = fmt.Errorf("%w: no answer within %v", ErrUnreachable, c.Retry.AttemptTimeout)
	}
	if throttled := Check(err) == retry.Throttled; err == nil || throttled {
		c.Rates.Answered(action.ActionName(), start, end, throttled)
	}
	return res, err
}

// need is the time that must be left before ctx's deadline for the next
// attempt of a call begun at began, made attempts in, to start.
func (c *Client) need(ctx context.Context, began time.Time, made int) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok || made == 0 {
		return c.Retry.MinTimeLeft
	}
	slowest := min(c.recent.slowest(c.Clock()), time.Duration(float64(dl.Sub(began))*SlowestShare))
	return max(c.Retry.MinTimeLeft, slowest)
}

// recentAttempts remembers how long the last attempts took (a fixed ring,
// kept by a warm process), so that no retry starts that would likely not
// finish before the deadline.
type recentAttempts struct {
	mu   sync.Mutex
	took [16]time.Duration
	at   [16]time.Time
	next int
}

func (r *recentAttempts) add(now time.Time, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.took[r.next], r.at[r.next] = took, now
	r.next = (r.next + 1) % len(r.took)
}

// slowest is the longest attempt that ended within a minute of now.
func (r *recentAttempts) slowest(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s time.Duration
	for i, at := range r.at {
		if !at.IsZero() && now.Sub(at) <= time.Minute && r.took[i] > s {
			s = r.took[i]
		}
	}
	return s
}
