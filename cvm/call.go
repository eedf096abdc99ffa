package cvm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"scf-cvm-project/credentials"
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

// DefaultRetryPolicy is New's: 3 retries, backoff from 200 ms, 30 s per
// attempt, none started with less than 200 ms left.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second,
		AttemptTimeout: 30 * time.Second, MinTimeLeft: 200 * time.Millisecond}
}

// WithThrottleRetries returns p retrying throttles until the deadline, full
// jitter from 1 s capped at 2 s (8 retries without a deadline): the
// adaptive rate already paces attempts, so a longer pause only leaves the
// account's limit unused (e2e BenchmarkFleet: 8.0 s with an 8 s cap, 5.0 to
// 5.6 s with 2 s).
func (p RetryPolicy) WithThrottleRetries() RetryPolicy {
	p.ThrottleBaseDelay, p.ThrottleMaxDelay, p.MaxThrottleRetries = DefaultThrottleBaseDelay, DefaultThrottleMaxDelay, DefaultMaxThrottleRetries
	return p
}

// The throttle backoff WithThrottleRetries sets.
const (
	DefaultThrottleBaseDelay  = time.Second
	DefaultThrottleMaxDelay   = 2 * time.Second
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
	p := retry.Policy{
		Check: Check, MaxRetries: c.Retry.MaxRetries, Base: c.Retry.BaseDelay, Max: c.Retry.MaxDelay,
		ThrottleBase: c.Retry.ThrottleBaseDelay, ThrottleMax: c.Retry.ThrottleMaxDelay, MaxThrottleRetries: c.Retry.MaxThrottleRetries,
		Room: func(ctx context.Context) (time.Duration, bool) {
			dl, ok := ctx.Deadline()
			return dl.Sub(c.Clock()) - need(), ok
		},
		Sleep: c.Sleep, Rand: c.Rand,
	}
	attempts, err := retry.Do(ctx, p, func(n int) error {
		if err := c.waitTurn(ctx, name, need()); err != nil {
			if errors.Is(err, ErrNoTimeLeft) {
				return fmt.Errorf("%s: %w", name, retry.NoTimeLeft(made, lastErr))
			}
			return fmt.Errorf("%s: waiting for the rate limit: %w", name, err)
		}
		creds, err := keys.Retrieve(ctx)
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

// attempt builds, signs and sends one request, bounded by AttemptTimeout,
// and remembers its latency unless the caller's deadline cut it.
func (c *Client) attempt(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64, out any) (Result, error) {
	attemptCtx := ctx
	if c.Retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeout(ctx, c.Retry.AttemptTimeout)
		defer cancel()
	}
	req, err := c.newRequestAt(attemptCtx, creds, region, action, ts)
	if err != nil {
		return Result{}, err
	}
	start := c.Clock()
	if c.Rates != nil {
		c.Rates.Sent(action.ActionName(), start)
	}
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
	if throttled := Throttled(err); c.Rates != nil && (err == nil || throttled) {
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

// waitTurn waits for the action's rate, unless the wait would leave less
// than need before the deadline: then it gives the turn back and returns
// ErrNoTimeLeft.
func (c *Client) waitTurn(ctx context.Context, action string, need time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.Clock()
	dl, bounded := ctx.Deadline()
	var delay time.Duration
	if c.Rates != nil {
		r := c.Rates.Limiter(action).ReserveN(now, 1)
		if !r.OK() {
			return errors.New("the rate limiter admits no request (burst 0)")
		}
		delay = r.DelayFrom(now)
		if bounded && dl.Sub(now.Add(delay)) < need {
			r.CancelAt(now)
			return ErrNoTimeLeft
		}
		if err := c.Sleep(ctx, delay); err != nil {
			r.CancelAt(c.Clock())
			return err
		}
		return nil
	}
	if bounded && dl.Sub(now) < need {
		return ErrNoTimeLeft
	}
	return nil
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
