package retry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Verdict is what a Policy's Check says of an attempt's error.
type Verdict int

// The verdicts: stop (success, or a failure another attempt would repeat),
// retry after a backoff, or retry a throttle after its own backoff.
const (
	Stop Verdict = iota
	Again
	Throttled
)

// ErrNoTimeLeft is returned, with context.DeadlineExceeded, when the
// deadline leaves no time for an attempt (the first or a retry).
var ErrNoTimeLeft = errors.New("no time left before the deadline for an attempt")

// Policy is how Do retries, as values (go-retryablehttp's CheckRetry and
// Backoff; aws-sdk-go-v2's retry.Standard). The zero value makes one
// attempt.
type Policy struct {
	// Check judges an attempt's error (nil: Stop).
	Check func(error) Verdict
	// MaxRetries bounds the retries of Again failures; throttles count
	// among them unless ThrottleBase is set.
	MaxRetries int
	// Base and Max shape the pause before the n-th retry: full jitter from
	// [0, min(Max, Base·2ⁿ⁻¹)] (Backoff).
	Base, Max time.Duration
	// ThrottleBase and ThrottleMax, when set, give throttles their own
	// backoff; they are then retried until no attempt fits before the
	// deadline, or MaxThrottleRetries times without one.
	ThrottleBase, ThrottleMax time.Duration
	MaxThrottleRetries        int
	// Room says how long from now another attempt may still start before
	// ctx's deadline (bounded false: ctx has none); nil: the deadline less
	// MinTimeLeft.
	Room        func(ctx context.Context) (room time.Duration, bounded bool)
	MinTimeLeft time.Duration
	// Sleep and Rand time the pauses (nil: Sleep and Int64N).
	Sleep func(context.Context, time.Duration) error
	Rand  func(int64) int64
}

// Do calls attempt (n from 1) until Check says Stop, the retries are used
// up, or the deadline leaves no time; after, when set, is told of each
// attempt and whether another follows. It returns the attempts made and
// the last error; when the deadline stopped it, an error wrapping
// ErrNoTimeLeft, context.DeadlineExceeded and the last error.
func Do(ctx context.Context, p Policy, attempt func(n int) error, after func(n int, err error, again bool)) (int, error) {
	var fails, throttles int
	for n := 1; ; n++ {
		err := attempt(n)
		if errors.Is(err, ErrNoTimeLeft) {
			return n - 1, err
		}
		verdict := Stop
		if err != nil && p.Check != nil {
			verdict = p.Check(err)
		}
		var again bool
		var pause time.Duration
		switch {
		case verdict == Stop:
		case verdict == Throttled && p.ThrottleBase > 0:
			throttles++
			_, bounded := ctx.Deadline()
			again = bounded || throttles <= p.MaxThrottleRetries
			pause = Backoff(throttles, p.ThrottleBase, p.ThrottleMax, p.Rand)
		default:
			fails++
			again = fails <= p.MaxRetries
			pause = Backoff(fails, p.Base, p.Max, p.Rand)
		}
		if again && ctx.Err() != nil {
			again = false
		}
		room, bounded := p.room(ctx)
		if again && bounded && pause > room {
			if room <= 0 {
				if after != nil {
					after(n, err, false)
				}
				return n, NoTimeLeft(n, err)
			}
			pause = room // one more attempt still fits: a shorter pause
		}
		if after != nil {
			after(n, err, again)
		}
		if !again {
			return n, err
		}
		sleep := p.Sleep
		if sleep == nil {
			sleep = Sleep
		}
		if sErr := sleep(ctx, pause); sErr != nil {
			return n, fmt.Errorf("waiting to retry: %w (the last attempt: %w)", sErr, err)
		}
	}
}

func (p Policy) room(ctx context.Context) (time.Duration, bool) {
	if p.Room != nil {
		return p.Room(ctx)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return time.Until(dl) - p.MinTimeLeft, true
}

// NoTimeLeft is the error of a call the deadline stopped after attempts
// attempts, the last of which failed with last (nil: none was made).
func NoTimeLeft(attempts int, last error) error {
	if attempts == 0 || last == nil {
		return fmt.Errorf("%w (%w): not sent", ErrNoTimeLeft, context.DeadlineExceeded)
	}
	return fmt.Errorf("%w (%w) after %d attempts; the last: %w", ErrNoTimeLeft, context.DeadlineExceeded, attempts, last)
}
