package credentials

import (
	"context"
	"time"

	"scf-cvm-project/internal/retry"
)

// STS AssumeRole and the metadata service are retried as CVM calls are
// (the shared judgement of internal/retry): a network failure, HTTP 5xx or
// 429, a garbled answer, or STS's InternalError*, RequestLimitExceeded*
// and AuthFailure.SignatureExpire get another attempt, after a pause drawn
// with full jitter from [0, min(CallMaxDelay, CallBaseDelay·2ⁿ⁻¹)], at most
// DefaultCallRetries times, and never when the pause would not leave
// CallMinTimeLeft before the context's deadline. Every attempt of
// AssumeRole is signed anew, with a timestamp later than the previous one.
const (
	DefaultCallRetries = 2
	CallBaseDelay      = 100 * time.Millisecond
	CallMaxDelay       = time.Second
	CallMinTimeLeft    = 100 * time.Millisecond
)

// retrier runs one call's attempts.
type retrier struct {
	retries int                                        // after the first attempt
	sleep   func(context.Context, time.Duration) error // retry.Sleep when nil
	randN   func(int64) int64                          // retry.Int64N when nil
}

func newRetrier(retries int, sleep func(context.Context, time.Duration) error) retrier {
	switch {
	case retries == 0:
		retries = DefaultCallRetries
	case retries < 0:
		retries = 0
	}
	if sleep == nil {
		sleep = retry.Sleep
	}
	return retrier{retries: retries, sleep: sleep, randN: retry.Int64N}
}

// run calls try until it succeeds, says its failure is not worth another
// attempt, the retries are used up, or the deadline leaves no time; it
// returns try's last error.
func (r retrier) run(ctx context.Context, try func(attempt int) (again bool, err error)) error {
	for n := 1; ; n++ {
		again, err := try(n)
		if err == nil || !again || n > r.retries || ctx.Err() != nil {
			return err
		}
		pause := retry.Backoff(n, CallBaseDelay, CallMaxDelay, r.randN)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl)-pause < CallMinTimeLeft {
			return err
		}
		if r.sleep(ctx, pause) != nil {
			return err
		}
	}
}
