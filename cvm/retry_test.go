package cvm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/internal/retry"
	"scf-cvm-project/signer"
)

func TestRetryable(t *testing.T) {
	unreachable := func(cause error) error { return fmt.Errorf("%w: cvm.example: %w", ErrUnreachable, cause) }
	tests := []struct {
		name string
		res  Result
		err  error
		want bool
	}{
		// Retried: the upstream or the network failed, not the request.
		{"connection refused", Result{}, unreachable(syscall.ECONNREFUSED), true},
		{"connection reset", Result{}, unreachable(syscall.ECONNRESET), true},
		{"EOF on a kept-alive connection", Result{}, unreachable(io.EOF), true},
		{"unexpected EOF reading the answer", Result{}, unreachable(io.ErrUnexpectedEOF), true},
		{"dial timeout", Result{}, unreachable(&net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}), true},
		{"our attempt timeout", Result{}, fmt.Errorf("%w: host: no answer within 30s", ErrUnreachable), true},
		{"HTTP 500", Result{}, &StatusError{StatusCode: 500}, true},
		{"HTTP 502", Result{}, &StatusError{StatusCode: 502}, true},
		{"HTTP 503", Result{}, &StatusError{StatusCode: 503}, true},
		{"HTTP 429", Result{}, &StatusError{StatusCode: 429}, true},
		{"not JSON", Result{}, fmt.Errorf("%w: the answer is not JSON (12 bytes)", ErrBadResponse), true},
		{"InternalServerError", Result{}, &APIError{Code: "InternalServerError"}, true},
		{"InternalError", Result{}, &APIError{Code: "InternalError"}, true},
		{"InternalError sub-code", Result{}, &APIError{Code: "InternalError.DbError"}, true},
		{"an error without a code", Result{}, &APIError{Code: "InternalError.UpstreamBadResponse"}, true},
		{"RequestLimitExceeded", Result{}, &APIError{Code: "RequestLimitExceeded"}, true},
		{"RequestLimitExceeded sub-code", Result{}, &APIError{Code: "RequestLimitExceeded.UinLimitExceeded"}, true},
		{"SignatureExpire", Result{}, &APIError{Code: "AuthFailure.SignatureExpire"}, true},

		// Not retried: the request itself is refused, or time is up.
		{"success", Result{RequestID: "r"}, nil, false},
		{"NotFound", Result{}, &APIError{Code: "InvalidInstanceId.NotFound"}, false},
		{"Malformed", Result{}, &APIError{Code: "InvalidInstanceId.Malformed"}, false},
		{"NotSupported", Result{}, &APIError{Code: "InvalidInstance.NotSupported"}, false},
		{"InvalidParameter", Result{}, &APIError{Code: "InvalidParameter"}, false},
		{"InvalidParameterValue.LimitExceeded", Result{}, &APIError{Code: "InvalidParameterValue.LimitExceeded"}, false},
		{"MissingParameter", Result{}, &APIError{Code: "MissingParameter"}, false},
		{"UnsupportedOperation", Result{}, &APIError{Code: "UnsupportedOperation"}, false},
		{"UnauthorizedOperation", Result{}, &APIError{Code: "UnauthorizedOperation"}, false},
		{"AuthFailure.UnauthorizedOperation", Result{}, &APIError{Code: "AuthFailure.UnauthorizedOperation"}, false},
		{"SignatureFailure", Result{}, &APIError{Code: "AuthFailure.SignatureFailure"}, false},
		{"SecretIdNotFound", Result{}, &APIError{Code: "AuthFailure.SecretIdNotFound"}, false},
		{"TokenFailure", Result{}, &APIError{Code: "AuthFailure.TokenFailure"}, false},
		{"a code merely starting like a retried one", Result{}, &APIError{Code: "InternalServerErrorish"}, false},
		{"an old-shape code without codeDesc", Result{}, &APIError{Code: "Legacy.4000"}, false},
		{"HTTP 400", Result{}, &StatusError{StatusCode: 400}, false},
		{"HTTP 403", Result{}, &StatusError{StatusCode: 403}, false},
		{"HTTP 404", Result{}, &StatusError{StatusCode: 404}, false},
		{"the caller's deadline", Result{}, fmt.Errorf("cvm: host: %w", context.DeadlineExceeded), false},
		{"the caller's cancellation", Result{}, fmt.Errorf("cvm: host: %w", context.Canceled), false},
		{"no time left", Result{}, fmt.Errorf("%w (%w)", ErrNoTimeLeft, context.DeadlineExceeded), false},
		{"a host that does not exist", Result{}, unreachable(&net.DNSError{Err: "no such host", Name: "cvm.example", IsNotFound: true}), false},
		{"a temporary DNS failure", Result{}, unreachable(&net.DNSError{Err: "server misbehaving", Name: "cvm.example", IsTemporary: true}), true},
		{"an untrusted certificate", Result{}, unreachable(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{"a certificate for another host", Result{}, unreachable(x509.HostnameError{Host: "cvm.example"}), false},
		{"signing failed", Result{}, errors.New("cvm: signing ModifyInstancesProject: bad method"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Check(tt.err) != retry.Stop)
		})
	}
}

func TestBackoffIsFullJitterUnderAnExponentialCeiling(t *testing.T) {
	base, ceiling := 200*time.Millisecond, 5*time.Second
	highest := func(n int64) int64 { return n - 1 }
	lowest := func(int64) int64 { return 0 }
	wantCeilings := []time.Duration{0, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second}
	for n, want := range wantCeilings {
		t.Run(fmt.Sprint("retry ", n), func(t *testing.T) {
			assert.Equal(t, want, retry.Backoff(n, base, ceiling, highest), "the highest draw is the ceiling")
			assert.Zero(t, retry.Backoff(n, base, ceiling, lowest), "the lowest draw is no pause")
			for range 200 {
				d := retry.Backoff(n, base, ceiling, rand.Int64N)
				assert.GreaterOrEqual(t, d, time.Duration(0))
				assert.LessOrEqual(t, d, want)
			}
		})
	}
	assert.Equal(t, ceiling, retry.Backoff(1000, base, ceiling, highest), "no overflow for a large n")
	assert.Zero(t, retry.Backoff(3, 0, ceiling, highest), "no base, no pause")
}

// Throttles back off from a quarter second, capped at 1 s: the adaptive
// rate paces the attempts, the pause only spreads them.
func TestThrottleBackoff(t *testing.T) {
	c, err := New(API3Endpoint, signer.TC3HmacSHA256, nil)
	require.NoError(t, err)
	p := c.Retry
	highest := func(n int64) int64 { return n - 1 }
	for n, want := range []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second} {
		t.Run(fmt.Sprint("throttle retry ", n), func(t *testing.T) {
			assert.Equal(t, want, retry.Backoff(n, p.ThrottleBaseDelay, p.ThrottleMaxDelay, highest))
		})
	}
	assert.Equal(t, 3, p.MaxRetries, "other failures keep MaxRetries")
	assert.Equal(t, DefaultMaxThrottleRetries, p.MaxThrottleRetries)
}

// fakeClock is a clock that moves only when told: by a sleep, or by an
// attempt that "takes" some time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.Advance(d)
	return ctx.Err()
}

// deadlineCtx has a deadline on a fake clock and never expires by itself.
type deadlineCtx struct {
	context.Context
	deadline time.Time
}

func (d deadlineCtx) Deadline() (time.Time, bool) { return d.deadline, true }

// scripted answers each request with the next of answers (the last one
// repeats), after advancing clock by took, and keeps every request body.
type scripted struct {
	mu      sync.Mutex
	answers []string // "" answers HTTP 500 with HTML
	clock   *fakeClock
	took    time.Duration
	bodies  [][]byte
	headers []http.Header
	starts  []time.Time
}

func (s *scripted) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	s.bodies, s.headers = append(s.bodies, b), append(s.headers, r.Header.Clone())
	if s.clock != nil {
		s.starts = append(s.starts, s.clock.Now())
		s.clock.Advance(s.took)
	}
	a := s.answers[min(len(s.bodies), len(s.answers))-1]
	if a == "" {
		return answerWith(500, "text/html", "<html>500</html>")(r)
	}
	return answerWith(200, "application/json", a)(r)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

const (
	okAnswer       = `{"Response":{"RequestId":"ok"}}`
	internalAnswer = `{"Response":{"Error":{"Code":"InternalServerError","Message":"try again"},"RequestId":"ise"}}`
	expireAnswer   = `{"Response":{"Error":{"Code":"AuthFailure.SignatureExpire","Message":"expired"},"RequestId":"exp"}}`
	notFoundAnswer = `{"Response":{"Error":{"Code":"InvalidInstanceId.NotFound","Message":"The instance ID [\"ins-r8hr2upy\"] does not exist."},"RequestId":"nf"}}`
)

var oneInstance = ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy"}, ProjectId: 1045}

// newTimedClient is a client on a fake clock whose jitter always draws the
// ceiling, so pauses are predictable.
func newTimedClient(t *testing.T, endpoint string, method signer.Method, d credentials.Doer) (*Client, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	c, err := New(endpoint, method, d)
	require.NoError(t, err)
	c.Clock, c.Sleep = clock.Now, clock.Sleep
	c.Rand = func(n int64) int64 { return n - 1 }
	return c, clock
}

// A retry is never a replay: each attempt has its own timestamp, nonce and
// signature, each valid for what it was sent with.
func TestEveryAttemptIsSignedAnew(t *testing.T) {
	t.Run("v1", func(t *testing.T) {
		d := &scripted{answers: []string{internalAnswer, expireAnswer, okAnswer}, took: time.Second}
		c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
		d.clock = clock
		c.Nonce = randomNonce
		res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.NoError(t, err)
		assert.Equal(t, 3, res.Attempts)
		assert.Equal(t, "ok", res.RequestID)
		require.Len(t, d.bodies, 3)

		seen := map[string]map[string]bool{"Timestamp": {}, "Nonce": {}, "Signature": {}}
		for i, body := range d.bodies {
			form, err := url.ParseQuery(string(body))
			require.NoError(t, err)
			for name := range seen {
				assert.False(t, seen[name][form.Get(name)], "attempt %d repeats the %s of an earlier one", i+1, name)
				seen[name][form.Get(name)] = true
			}
			assert.Equal(t, fmt.Sprint(d.starts[i].Unix()), form.Get("Timestamp"), "attempt %d is stamped when it is sent", i+1)
			params := map[string]string{}
			for k := range form {
				if k != "Signature" {
					params[k] = form.Get(k)
				}
			}
			want, err := signer.SignV1(signer.V1Request{HTTPMethod: "POST", Host: "cvm.api.qcloud.com", Path: "/v2/index.php", Params: params, Legacy: true}, signer.HmacSHA256, exampleCreds.SecretKey)
			require.NoError(t, err)
			assert.Equal(t, want, form.Get("Signature"), "attempt %d is signed for its own parameters", i+1)
		}
	})
	t.Run("TC3", func(t *testing.T) {
		d := &scripted{answers: []string{"", okAnswer}, took: time.Second}
		c, clock := newTimedClient(t, API3Endpoint, signer.TC3HmacSHA256, d)
		d.clock = clock
		res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Attempts)
		require.Len(t, d.headers, 2)
		h1, h2 := d.headers[0], d.headers[1]
		assert.NotEqual(t, h1.Get("X-TC-Timestamp"), h2.Get("X-TC-Timestamp"))
		assert.NotEqual(t, h1.Get("Authorization"), h2.Get("Authorization"))
		stamp := d.starts[1].Unix()
		assert.Equal(t, fmt.Sprint(stamp), h2.Get("X-TC-Timestamp"), "the retry is stamped when it is sent")
		want := signer.TC3Sign(signer.TC3Request{HTTPMethod: "POST", Path: "/", Host: "cvm.tencentcloudapi.com",
			ContentType: h2.Get("Content-Type"), Payload: d.bodies[1], Service: "cvm", Timestamp: stamp}, exampleCreds.SecretID, exampleCreds.SecretKey).Authorization
		assert.Equal(t, want, h2.Get("Authorization"), "the retry is signed with its own timestamp")
	})
}

func TestRetriesStopAtMaxRetries(t *testing.T) {
	tests := []struct {
		name         string
		answers      []string
		maxRetries   int
		wantAttempts int
		wantCode     string
		wantErr      error
	}{
		{"success at once", []string{okAnswer}, 3, 1, "", nil},
		{"a persistent InternalServerError, 3 retries", []string{internalAnswer}, 3, 4, "InternalServerError", nil},
		{"a persistent InternalServerError, no retries", []string{internalAnswer}, 0, 1, "InternalServerError", nil},
		{"a persistent InternalServerError, 1 retry", []string{internalAnswer}, 1, 2, "InternalServerError", nil},
		{"persistent HTTP 500", []string{""}, 3, 4, "", ErrBadResponse},
		{"HTTP 500, then success", []string{"", okAnswer}, 3, 2, "", nil},
		{"NotFound is not retried", []string{notFoundAnswer, okAnswer}, 3, 1, "InvalidInstanceId.NotFound", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &scripted{answers: tt.answers}
			c, _ := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
			c.Retry.MaxRetries = tt.maxRetries
			res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
			case tt.wantCode == "":
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantAttempts, res.Attempts)
			assert.Equal(t, tt.wantAttempts, d.count(), "one request per attempt")
			assert.Equal(t, tt.wantCode, Code(err))
		})
	}
}

func TestBackoffPausesComeBetweenAttempts(t *testing.T) {
	d := &scripted{answers: []string{internalAnswer}}
	c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
	d.clock = clock
	_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.Equal(t, "InternalServerError", Code(err))
	require.Len(t, d.starts, 4)
	var gaps []time.Duration
	for i := 1; i < len(d.starts); i++ {
		gaps = append(gaps, d.starts[i].Sub(d.starts[i-1]))
	}
	assert.Equal(t, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}, gaps,
		"pauses at their ceilings (the jitter draws the highest)")
}

func TestTheDeadlineRule(t *testing.T) {
	t.Run("no attempt with less than 200 ms left", func(t *testing.T) {
		d := &scripted{answers: []string{okAnswer}}
		c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
		ctx := deadlineCtx{context.Background(), clock.Now().Add(150 * time.Millisecond)}
		res, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.ErrorIs(t, err, ErrNoTimeLeft)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Zero(t, res.Attempts)
		assert.Zero(t, d.count(), "nothing sent")
	})
	t.Run("retries stop when the slowest attempt would not fit", func(t *testing.T) {
		d := &scripted{answers: []string{internalAnswer}, took: 300 * time.Millisecond}
		c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
		d.clock = clock
		c.Rand = func(int64) int64 { return 0 } // no pause: only the attempts take time
		c.Retry.MaxRetries = 10
		start := clock.Now()
		ctx := deadlineCtx{context.Background(), start.Add(time.Second)}
		res, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.ErrorIs(t, err, ErrNoTimeLeft)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		// Starts at 0, 300, 600 ms; at 900 ms, 100 ms are left for an attempt of 300 ms.
		assert.Equal(t, 3, res.Attempts)
		assert.Equal(t, "InternalServerError", Code(err), "the last answer is kept")
		assert.Contains(t, err.Error(), "after 3 attempts; the last: ModifyInstancesProject answered InternalServerError: try again")
		assert.Equal(t, start.Add(900*time.Millisecond), clock.Now(), "it returns at once, not at the deadline")
	})
	t.Run("a pause that would pass the deadline is cut to what is left", func(t *testing.T) {
		d := &scripted{answers: []string{internalAnswer}}
		c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
		d.clock = clock
		start := clock.Now()
		ctx := deadlineCtx{context.Background(), start.Add(500 * time.Millisecond)}
		res, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.ErrorIs(t, err, ErrNoTimeLeft)
		// Attempt 1 at 0; pause 200 ms; attempt 2 at 200 ms; the pause of
		// 400 ms is cut to the 100 ms that leave 200 ms: attempt 3 at 300 ms;
		// then no room is left for any pause.
		assert.Equal(t, 3, res.Attempts)
		assert.Equal(t, []time.Time{start, start.Add(200 * time.Millisecond), start.Add(300 * time.Millisecond)}, d.starts)
		assert.Equal(t, start.Add(300*time.Millisecond), clock.Now(), "it returns at once, not at the deadline")
	})
	t.Run("a slow attempt in an earlier call raises the bar for retries, not for first attempts", func(t *testing.T) {
		d := &scripted{answers: []string{okAnswer, internalAnswer}, took: 800 * time.Millisecond}
		c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
		d.clock = clock
		_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.NoError(t, err)
		d.took = 0
		start := clock.Now()
		ctx := deadlineCtx{context.Background(), start.Add(time.Second)}
		res, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.ErrorIs(t, err, ErrNoTimeLeft)
		// The first attempt at once; retries while 500 ms are left (800 ms,
		// capped at half the 1 s budget): at 200 ms, and at 500 ms after a
		// pause cut from 400 ms to 300 ms.
		assert.Equal(t, 3, res.Attempts)
		assert.Equal(t, []time.Time{start, start.Add(200 * time.Millisecond), start.Add(500 * time.Millisecond)}, d.starts[1:])
	})
}

func TestTheRateLimiterSpacesAttempts(t *testing.T) {
	d := &scripted{answers: []string{okAnswer}}
	c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
	d.clock = clock
	c.Rates = &ratelimit.ActionRates{Ceilings: map[string]float64{"ModifyInstancesProject": 10}}
	start := clock.Now()
	for range 3 {
		_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
		require.NoError(t, err)
	}
	// A wait that would leave too little time is not taken, and the turn
	// is given back.
	ctx := deadlineCtx{context.Background(), clock.Now().Add(250 * time.Millisecond)}
	_, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.ErrorIs(t, err, ErrNoTimeLeft)
	_, err = c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.NoError(t, err)

	var offsets []time.Duration
	for _, s := range d.starts {
		offsets = append(offsets, s.Sub(start))
	}
	assert.Equal(t, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}, offsets)
}

func TestTheRateLimiterAlsoPacesRetries(t *testing.T) {
	d := &scripted{answers: []string{internalAnswer, okAnswer}}
	c, clock := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
	d.clock = clock
	c.Rand = func(int64) int64 { return 0 }
	c.Rates = &ratelimit.ActionRates{Ceilings: map[string]float64{"ModifyInstancesProject": 10}}
	start := clock.Now()
	res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
	assert.Equal(t, []time.Time{start, start.Add(100 * time.Millisecond)}, d.starts)
}

// An attempt that hangs past Retry.AttemptTimeout is a network timeout,
// retried; the caller's own deadline is not.
func TestAnAttemptTimeoutIsRetried(t *testing.T) {
	var n int
	var mu sync.Mutex
	c := newTestClient(t, LegacyEndpoint, signer.HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			<-r.Context().Done()
			return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: r.Context().Err()}
		}
		return answerWith(200, "application/json", okAnswer)(r)
	}))
	c.Retry.AttemptTimeout = 20 * time.Millisecond
	res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
}

func TestTheCallersDeadlineIsNotRetried(t *testing.T) {
	var n int
	c := newTestClient(t, LegacyEndpoint, signer.HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
		n++
		<-r.Context().Done()
		return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: r.Context().Err()}
	}))
	c.Retry.MinTimeLeft = 0
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	res, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, 1, n)
}

func TestOneLogLinePerAttempt(t *testing.T) {
	var logs bytes.Buffer
	d := &scripted{answers: []string{"", internalAnswer, okAnswer}}
	c, _ := newTimedClient(t, LegacyEndpoint, signer.HmacSHA256, d)
	c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.NoError(t, err)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 3)
	want := []struct {
		level, code string
		retry       bool
	}{{"WARN", "", true}, {"WARN", "InternalServerError", true}, {"INFO", "Success", false}}
	for i, l := range lines {
		var line map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &line))
		assert.EqualValues(t, i+1, line["attempt"])
		assert.Equal(t, want[i].retry, line["retry"])
		assert.Equal(t, want[i].level, line["level"])
		assert.Equal(t, want[i].code, line["code"])
		assert.NotContains(t, l, exampleCreds.SecretKey)
	}
	assert.Contains(t, lines[0], "HTTP 500", "a failed attempt says why")
}
