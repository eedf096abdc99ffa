package credentials

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"scf-cvm-project/internal/retry"
	"strconv"
	"time"
)

// Doer sends an HTTP request; *http.Client is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// How long one call may take, besides the invocation's deadline.
const (
	MetadataTimeout = 2 * time.Second
	STSTimeout      = 5 * time.Second
)

// maxAnswerBytes bounds what is read of a metadata or STS answer (a few
// hundred bytes).
const maxAnswerBytes = 64 << 10

// answer is what one call got back: the status and at most maxAnswerBytes
// of the body, which is always read to that limit and closed.
type answer struct {
	status int
	body   []byte
}

// send makes one call of req, bounded by c.Timeout. Its failure says "no
// answer within 2s" when the call's own timeout ran out (not the
// invocation's deadline, ctx's); again says whether it is worth another
// attempt: a network failure, or a timeout (the call's, or the HTTP
// client's own, as its dial's) before the invocation's deadline.
func (c Calls) send(ctx context.Context, req *http.Request) (a answer, again bool, err error) {
	callCtx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	a, err = do(c.HTTP, req.WithContext(callCtx))
	if err != nil {
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("no answer before the invocation's deadline: %w", ctx.Err())
		case callCtx.Err() != nil:
			err = fmt.Errorf("no answer within %s: %w", c.Timeout, callCtx.Err())
		}
		return answer{}, retry.Network(err) || ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded), err
	}
	return a, false, nil
}

// do sends req and reads the answer. A transport error is returned
// without the URL of *url.Error.
func do(client Doer, req *http.Request) (answer, error) {
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, retry.WithoutURL(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return answer{}, fmt.Errorf("reading the answer: %w", err)
	}
	return answer{status: resp.StatusCode, body: body}, nil
}

// ok reports a 2xx status.
func (a answer) ok() bool { return a.status >= 200 && a.status <= 299 }

// expiry reads an answer's expiry: ExpiredTime (Unix seconds), else
// Expiration (RFC 3339). It must be after now.
func expiry(expiredTime int64, expiration string, now time.Time) (time.Time, error) {
	var t time.Time
	switch {
	case expiredTime > 0:
		t = time.Unix(expiredTime, 0)
	case expiration != "":
		var err error
		if t, err = time.Parse(time.RFC3339, expiration); err != nil {
			return time.Time{}, fmt.Errorf("the Expiration %q is not an RFC 3339 time", expiration)
		}
	default:
		return time.Time{}, fmt.Errorf("the answer gives neither ExpiredTime nor Expiration")
	}
	if !now.Before(t) {
		return time.Time{}, fmt.Errorf("the credentials expired at %s (ExpiredTime %s), before they could be used", t.UTC().Format(time.RFC3339), strconv.FormatInt(t.Unix(), 10))
	}
	return t, nil
}

// STS AssumeRole and metadata reads are retried by retry.Do on a network
// failure, HTTP 5xx or 429, a garbled answer, or STS's InternalError*,
// RequestLimitExceeded*, AuthFailure.SignatureExpire: full jitter from
// [0, min(CallMaxDelay, CallBaseDelay·2ⁿ⁻¹)], at most CallRetries
// times, never leaving less than CallMinTimeLeft before the deadline.
const (
	CallRetries     = 2
	CallBaseDelay   = 100 * time.Millisecond
	CallMaxDelay    = time.Second
	CallMinTimeLeft = 100 * time.Millisecond
)

// Calls are how a provider calls its service (STS, the metadata service).
type Calls struct {
	HTTP    Doer
	Timeout time.Duration    // per call
	Now     func() time.Time // time.Now when nil
	Logger  *slog.Logger     // warnings of failed refreshes; discarded when nil
	// Sleep waits between attempts; nil: a timer (tests replace it).
	Sleep func(context.Context, time.Duration) error
}

// retry runs try through retry.Do under the policy above; try says whether
// its failure is worth another attempt. It returns try's last error.
func (c Calls) retry(ctx context.Context, try func() (again bool, err error)) error {
	var again bool
	p := retry.Policy{
		Check: func(error) retry.Verdict {
			if again {
				return retry.Again
			}
			return retry.Stop
		},
		MaxRetries: CallRetries, Base: CallBaseDelay, Max: CallMaxDelay, Sleep: c.Sleep,
		Room: func(ctx context.Context) (time.Duration, bool) {
			dl, ok := ctx.Deadline()
			return time.Until(dl) - CallMinTimeLeft, ok
		},
	}
	_, err := retry.Do(ctx, p, func(int) error {
		var err error
		again, err = try()
		return err
	}, nil)
	return err
}
