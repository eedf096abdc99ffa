package credentials

import (
	"context"
	"time"

	"scf-cvm-project/internal/retry"
)

// STS AssumeRole and the metadata service go through the one retry loop
// (retry.Do), as CVM calls do: a network failure, HTTP 5xx or 429, a
// garbled answer, or STS's InternalError*, RequestLimitExceeded* and
// AuthFailure.SignatureExpire get another attempt, after full jitter from
// [0, min(CallMaxDelay, CallBaseDelay·2ⁿ⁻¹)], at most DefaultCallRetries
// times, and never when the pause would leave less than CallMinTimeLeft
// before the deadline.
const (
	DefaultCallRetries = 2
	CallBaseDelay      = 100 * time.Millisecond
	CallMaxDelay       = time.Second
	CallMinTimeLeft    = 100 * time.Millisecond
)

// retrier is a call's policy (retries: DefaultCallRetries when 0, none when
// negative).
type retrier struct{ retry.Policy }

func newRetrier(retries int, sleep func(context.Context, time.Duration) error) retrier {
	switch {
	case retries == 0:
		retries = DefaultCallRetries
	case retries < 0:
		retries = 0
	}
	return retrier{retry.Policy{MaxRetries: retries, Base: CallBaseDelay, Max: CallMaxDelay, MinTimeLeft: CallMinTimeLeft, Sleep: sleep}}
}

// run runs try through retry.Do; try says whether its failure is worth
// another attempt. It returns try's last error.
func (r retrier) run(ctx context.Context, try func() (again bool, err error)) error {
	var again bool
	p := r.Policy
	p.Check = func(error) retry.Verdict {
		if again {
			return retry.Again
		}
		return retry.Stop
	}
	_, err := retry.Do(ctx, p, func(int) error {
		var err error
		again, err = try()
		return err
	}, nil)
	return err
}
