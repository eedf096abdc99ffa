package cvm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"scf-cvm-project/credentials"
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
// Every attempt is built and signed anew (fresh Timestamp and Nonce for v1,
// a fresh timestamp for TC3), waits its turn at c.Limiter, and is logged on
// its own line. No attempt starts when less than the larger of
// Retry.MinTimeLeft and the slowest recent attempt is left before ctx's
// deadline: Call then returns at once with an error wrapping ErrNoTimeLeft
// and context.DeadlineExceeded. Result.Attempts counts the attempts made.
func (c *Client) Call(ctx context.Context, keys credentials.Provider, region string, action Action, out any) (Result, error) {
	var (
		res Result
		err error
	)
	for n := 1; ; n++ {
		if n > 1 {
			pause := Backoff(n-1, c.Retry.BaseDelay, c.Retry.MaxDelay, c.Rand)
			if room, bounded := c.room(ctx); bounded && pause > room {
				if room <= 0 {
					return res, c.noTimeLeft(n-1, res, err)
				}
				pause = room // one more attempt still fits: a shorter pause
			}
			if sErr := c.Sleep(ctx, pause); sErr != nil {
				return res, fmt.Errorf("cvm: waiting to retry %s: %w", action.ActionName(), sErr)
			}
		}
		if wErr := c.waitTurn(ctx); wErr != nil {
			if errors.Is(wErr, ErrNoTimeLeft) {
				return res, c.noTimeLeft(n-1, res, err)
			}
			return res, fmt.Errorf("cvm: waiting for the rate limit before %s: %w", action.ActionName(), wErr)
		}
		creds, kErr := unexpiredKeys(ctx, keys, c.Clock())
		if kErr != nil {
			return res, fmt.Errorf("cvm: %s %w: %w", action.ActionName(), ErrNotSent, kErr)
		}
		res, err = c.attempt(ctx, creds, region, action, out)
		res.Attempts = n
		retry := n <= c.Retry.MaxRetries && Retryable(res, err)
		c.log(ctx, creds.Source, action, n, retry, res, err)
		if !retry {
			return res, err
		}
	}
}

// attempt builds, signs and sends one request, bounded by
// Retry.AttemptTimeout, and remembers how long it took.
func (c *Client) attempt(ctx context.Context, creds credentials.Credentials, region string, action Action, out any) (Result, error) {
	attemptCtx := ctx
	if c.Retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeout(ctx, c.Retry.AttemptTimeout)
		defer cancel()
	}
	req, err := c.newRequest(attemptCtx, creds, region, action)
	if err != nil {
		return Result{}, err
	}
	start := c.Clock()
	res, err := c.send(req, out)
	end := c.Clock()
	res.Latency = end.Sub(start)
	c.recent.add(end, res.Latency)
	if err != nil && ctx.Err() == nil && attemptCtx.Err() != nil {
		// Our own bound on one attempt, not the caller's deadline: a timeout
		// like any other on the network, and so worth another attempt.
		err = fmt.Errorf("%w: %s: no answer within %v", ErrUnreachable, c.endpoint.Host, c.Retry.AttemptTimeout)
	}
	return res, err
}

// room returns how long from now an attempt may still start under the
// deadline rule; bounded is false when ctx has no deadline.
func (c *Client) room(ctx context.Context) (room time.Duration, bounded bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	now := c.Clock()
	return deadline.Sub(now) - max(c.Retry.MinTimeLeft, c.recent.slowest(now)), true
}

// waitTurn waits for the rate limiter, unless the wait would leave too
// little time for the attempt: then it returns ErrNoTimeLeft at once and
// gives the turn back.
func (c *Client) waitTurn(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.Clock()
	deadline, hasDeadline := ctx.Deadline()
	slowest := c.recent.slowest(now)
	if c.Limiter == nil {
		if !TimeForAttempt(now, deadline, hasDeadline, c.Retry.MinTimeLeft, slowest) {
			return ErrNoTimeLeft
		}
		return nil
	}
	r := c.Limiter.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("the rate limiter admits no request (burst 0)")
	}
	delay := r.DelayFrom(now)
	if !TimeForAttempt(now.Add(delay), deadline, hasDeadline, c.Retry.MinTimeLeft, slowest) {
		r.CancelAt(now)
		return ErrNoTimeLeft
	}
	if err := c.Sleep(ctx, delay); err != nil {
		r.CancelAt(c.Clock())
		return err
	}
	return nil
}

// noTimeLeft is the error of a call that the deadline stopped after
// attempts attempts, the last of which got res and err.
func (c *Client) noTimeLeft(attempts int, res Result, err error) error {
	if attempts == 0 {
		return fmt.Errorf("cvm: %s: %w (%w): not sent", c.endpoint.Host, ErrNoTimeLeft, context.DeadlineExceeded)
	}
	last := codeOrSuccess(res.Code)
	if res.Message != "" {
		last += ": " + res.Message
	}
	if err != nil {
		last = err.Error()
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
