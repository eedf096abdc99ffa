package cvm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/internal/retry"
)

// Call sends action in region, signed with the keys that keys gives for
// each attempt (a credentials.Credentials gives itself), and retries it under
// c.Retry while Retryable says so and the deadline leaves time. The answer's
// Response object is decoded into out when out is not nil and the call
// succeeded.
//
// Keys that have expired are never sent: an attempt whose keys have
// expired is not made, and Call returns an error wrapping ErrNotSent and
// the provider's error (or ErrKeysExpired).
//
// Every attempt is built and signed anew (fresh Timestamp and Nonce for v1;
// for TC3 a timestamp later than the previous attempt's, see retry.Stamps),
// waits its turn at the action's rate (c.Rates), and
// is logged on its own line. Throttles cut the action's rate (c.Rates) and,
// with Retry.ThrottleBaseDelay set, are retried until the deadline.
//
// The deadline rule: the first attempt starts when at least
// Retry.MinTimeLeft is left before ctx's deadline; a retry when at least
// the larger of MinTimeLeft and the slowest recent attempt (capped at
// SlowestShare of the call's time budget) is left. Otherwise Call returns
// at once with an error wrapping ErrNoTimeLeft and
// context.DeadlineExceeded. Result.Attempts counts the attempts made.
func (c *Client) Call(ctx context.Context, keys credentials.Provider, region string, action Action, out any) (Result, error) {
	var (
		res       Result
		err       error
		cs        = callState{began: c.Clock()}
		throttled bool
	)
	for n := 1; ; n++ {
		if n > 1 {
			pause := Backoff(cs.fails, c.Retry.BaseDelay, c.Retry.MaxDelay, c.Rand)
			if throttled && c.Retry.ThrottleBaseDelay > 0 {
				pause = Backoff(cs.throttles, c.Retry.ThrottleBaseDelay, c.Retry.ThrottleMaxDelay, c.Rand)
			}
			if room, bounded := c.room(ctx, &cs); bounded && pause > room {
				if room <= 0 {
					return res, c.noTimeLeft(n-1, res, err)
				}
				pause = room // one more attempt still fits: a shorter pause
			}
			if sErr := c.Sleep(ctx, pause); sErr != nil {
				return res, fmt.Errorf("cvm: waiting to retry %s: %w", action.ActionName(), sErr)
			}
		}
		if wErr := c.waitTurn(ctx, &cs, action.ActionName()); wErr != nil {
			if errors.Is(wErr, ErrNoTimeLeft) {
				return res, c.noTimeLeft(n-1, res, err)
			}
			return res, fmt.Errorf("cvm: waiting for the rate limit before %s: %w", action.ActionName(), wErr)
		}
		creds, kErr := unexpiredKeys(ctx, keys, c.Clock())
		if kErr != nil {
			return res, fmt.Errorf("cvm: %s %w: %w", action.ActionName(), ErrNotSent, kErr)
		}
		res, err = c.attempt(ctx, &cs, creds, region, action, out)
		res.Attempts = n
		throttled = Throttled(res, err)
		cs.attempts = n
		var again bool
		switch {
		case !Retryable(res, err):
		case throttled && c.Retry.ThrottleBaseDelay > 0:
			cs.throttles++
			_, bounded := ctx.Deadline()
			again = bounded || cs.throttles <= c.Retry.MaxThrottleRetries
		default:
			cs.fails++
			again = cs.fails <= c.Retry.MaxRetries
		}
		c.log(ctx, creds.Source, action, n, again, res, err)
		if !again {
			return res, err
		}
	}
}

// callState is what one Call keeps across its attempts.
type callState struct {
	began     time.Time    // when the call started: its time budget runs from here
	attempts  int          // made so far
	fails     int          // retryable failures other than throttles (all, without ThrottleBaseDelay)
	throttles int          // throttles, with ThrottleBaseDelay
	stamps    retry.Stamps // TC3 timestamps, one a second at most
}

// attempt builds, signs and sends one request, bounded by
// Retry.AttemptTimeout, and remembers how long it took, unless the
// caller's deadline or cancellation cut it (then it measured nothing).
func (c *Client) attempt(ctx context.Context, cs *callState, creds credentials.Credentials, region string, action Action, out any) (Result, error) {
	attemptCtx := ctx
	if c.Retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeout(ctx, c.Retry.AttemptTimeout)
		defer cancel()
	}
	req, err := c.newRequestAt(attemptCtx, creds, region, action, cs.stamps.Next(c.Now()))
	if err != nil {
		return Result{}, err
	}
	start := c.Clock()
	if c.Rates != nil {
		c.Rates.Sent(action.ActionName(), start)
	}
	res, err := c.send(req, out)
	end := c.Clock()
	res.Latency = end.Sub(start)
	if ctx.Err() == nil {
		c.recent.add(end, res.Latency)
	}
	if err != nil && ctx.Err() == nil && attemptCtx.Err() != nil {
		// Our own bound on one attempt, not the caller's deadline: a timeout
		// like any other on the network, and so worth another attempt.
		err = fmt.Errorf("%w: %s: no answer within %v", ErrUnreachable, c.endpoint.Host, c.Retry.AttemptTimeout)
	}
	if c.Rates != nil && (err == nil || Throttled(res, err)) {
		c.Rates.Answered(action.ActionName(), start, end, Throttled(res, err))
	}
	return res, err
}

// need returns how much time must be left before the deadline for the
// next attempt of the call to start at now.
func (c *Client) need(now time.Time, cs *callState, deadline time.Time) time.Duration {
	if cs.attempts == 0 {
		return c.Retry.MinTimeLeft // the first attempt: always, if MinTimeLeft is left
	}
	slowest := c.recent.slowest(now)
	if limit := time.Duration(float64(deadline.Sub(cs.began)) * SlowestShare); slowest > limit {
		slowest = limit
	}
	return max(c.Retry.MinTimeLeft, slowest)
}

// room returns how long from now an attempt may still start under the
// deadline rule; bounded is false when ctx has no deadline.
func (c *Client) room(ctx context.Context, cs *callState) (room time.Duration, bounded bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	now := c.Clock()
	return deadline.Sub(now) - c.need(now, cs, deadline), true
}

// waitTurn waits for action's turn at its rate (Rates.Wait, which follows
// the rate as it changes), unless the turn would leave too little time for
// the attempt: then it returns ErrNoTimeLeft at once and gives the turn
// back.
func (c *Client) waitTurn(ctx context.Context, cs *callState, action string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.Clock()
	deadline, hasDeadline := ctx.Deadline()
	var need time.Duration
	if hasDeadline {
		need = c.need(now, cs, deadline)
	}
	if c.Rates == nil {
		if !TimeForAttempt(now, deadline, hasDeadline, need, 0) {
			return ErrNoTimeLeft
		}
		return nil
	}
	err := c.Rates.Wait(ctx, action, c.Clock, c.Sleep, func(at time.Time) bool { return TimeForAttempt(at, deadline, hasDeadline, need, 0) })
	if errors.Is(err, ratelimit.ErrTooLate) {
		return ErrNoTimeLeft
	}
	return err
}

// noTimeLeft is the error of a call that the deadline stopped after
// attempts attempts, the last of which got res and err.
func (c *Client) noTimeLeft(attempts int, res Result, err error) error {
	if attempts == 0 {
		return fmt.Errorf("cvm: %s: %w (%w): not sent", c.endpoint.Host, ErrNoTimeLeft, context.DeadlineExceeded)
	}
	if err != nil { // wrapped, so that the answer can describe it (answer.Plain)
		return fmt.Errorf("cvm: %s: %w (%w) after %d attempts; the last: %w", c.endpoint.Host, ErrNoTimeLeft, context.DeadlineExceeded, attempts, err)
	}
	last := codeOrSuccess(res.Code)
	if res.Message != "" {
		last += ": " + res.Message
	}
	return fmt.Errorf("cvm: %s: %w (%w) after %d attempts; the last: %s", c.endpoint.Host, ErrNoTimeLeft, context.DeadlineExceeded, attempts, last)
}

// ErrKeysExpired is returned (wrapped) when a provider gives keys that have
// expired already.
var ErrKeysExpired = errors.New("the credential provider gave expired keys")

// unexpiredKeys returns the keys of the next attempt, refusing expired ones.
func unexpiredKeys(ctx context.Context, keys credentials.Provider, now time.Time) (credentials.Credentials, error) {
	creds, err := keys.Retrieve(ctx)
	if err != nil {
		return credentials.Credentials{}, err
	}
	if creds.Expired(now) {
		return credentials.Credentials{}, ErrKeysExpired
	}
	return creds, nil
}

// ErrNotSent is returned (wrapped, with the reason) for a call that was
// never sent: the deadline left no time for it, or no unexpired keys could
// be had.
var ErrNotSent = errors.New("not sent")
