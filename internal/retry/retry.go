// Package retry is the retry loop (Do, with a Policy) that cvm and
// credentials share, and what it judges by: which network failures, HTTP
// statuses and API error codes are worth another attempt. It imports
// nothing of this module.
package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Network reports whether err, from sending a request and reading its
// answer, is worth another attempt: network resets, refusals, EOFs and
// timeouts are; the caller's deadline or cancellation, a DNS name that does
// not exist and TLS certificate failures are not.
func Network(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
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

// WithoutURL returns the error a *url.Error in err wraps, without its
// "Post <url>:" prefix: the caller names the host, and the message stays
// short. Any other err is returned as it is.
func WithoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Status reports whether an HTTP status is worth another attempt: 5xx and
// 429 are.
func Status(code int) bool { return code >= 500 || code == 429 }

// Code reports whether a Tencent Cloud API error code is worth another
// attempt: InternalServerError*, InternalError*, RequestLimitExceeded*
// and AuthFailure.SignatureExpire (a new timestamp fixes it).
func Code(code string) bool {
	if code == "AuthFailure.SignatureExpire" {
		return true
	}
	return InFamily(code, "InternalServerError", "InternalError") || Throttle(code)
}

// Throttle reports whether an API error code says the caller sent too
// much: RequestLimitExceeded and its sub-codes.
func Throttle(code string) bool { return InFamily(code, "RequestLimitExceeded") }

// InFamily reports whether an API error code is one of families or one of
// their sub-codes (RequestLimitExceeded.UinLimitExceeded is of
// RequestLimitExceeded).
func InFamily(code string, families ...string) bool {
	return slices.ContainsFunc(families, func(f string) bool { return code == f || strings.HasPrefix(code, f+".") })
}

// Backoff returns the pause before retry n (1 for the first retry): a
// duration drawn by randN (nil: rand.Int64N) from [0, min(max, base·2ⁿ⁻¹)]
// ("full jitter").
func Backoff(n int, base, max time.Duration, randN func(int64) int64) time.Duration {
	if n < 1 || base <= 0 || max <= 0 {
		return 0
	}
	ceiling := base
	for i := 1; i < n && ceiling < max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, max)
	if randN == nil {
		randN = rand.Int64N
	}
	return time.Duration(randN(int64(ceiling) + 1))
}

// Sleep waits d or until ctx ends, and returns ctx's error if it ended.
func Sleep(ctx context.Context, d time.Duration) error {
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

// Stamps hands out the signing times (Unix seconds) of one call's attempts,
// each later than the one before, so no two TC3 attempts are the same bytes
// (a replay); the API takes a timestamp within 5 minutes of its clock
// (AuthFailure.SignatureExpire otherwise). The zero value is ready; one per
// call, not safe for concurrent use.
type Stamps struct {
	last int64
	used bool
}

// Next returns the timestamp of an attempt signed at now.
func (s *Stamps) Next(now time.Time) int64 {
	ts := now.Unix()
	if s.used && ts <= s.last {
		ts = s.last + 1
	}
	s.last, s.used = ts, true
	return ts
}

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
	// ctx's deadline (bounded false: ctx has none); nil: no bound.
	Room func(ctx context.Context) (room time.Duration, bounded bool)
	// Sleep and Rand time the pauses (nil: Sleep and rand.Int64N).
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
		var room time.Duration
		bounded := false
		if p.Room != nil {
			room, bounded = p.Room(ctx)
		}
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

// NoTimeLeft is the error of a call the deadline stopped after attempts
// attempts, the last of which failed with last (nil: none was made).
func NoTimeLeft(attempts int, last error) error {
	if attempts == 0 || last == nil {
		return fmt.Errorf("%w (%w): not sent", ErrNoTimeLeft, context.DeadlineExceeded)
	}
	return fmt.Errorf("%w (%w) after %d attempts; the last: %w", ErrNoTimeLeft, context.DeadlineExceeded, attempts, last)
}
