package cvm

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/signer"
)

// clockCtx has a deadline on a fake clock and reports DeadlineExceeded
// once the clock reaches it.
type clockCtx struct {
	context.Context
	clock    *fakeClock
	deadline time.Time
}

func (c clockCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c clockCtx) Err() error {
	if !c.clock.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// step is one scripted answer: it takes took on the fake clock; cut says
// the caller's deadline ended it first.
type step struct {
	took   time.Duration
	answer string
	status int
}

type stepper struct {
	mu      sync.Mutex
	clock   *fakeClock
	steps   []step // the last repeats
	headers []http.Header
	bodies  [][]byte
	starts  []time.Time
}

func (s *stepper) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	s.headers, s.bodies, s.starts = append(s.headers, r.Header.Clone()), append(s.bodies, b), append(s.starts, s.clock.Now())
	st := s.steps[min(len(s.headers), len(s.steps))-1]
	if dl, ok := r.Context().Deadline(); ok && s.clock.Now().Add(st.took).After(dl) {
		s.clock.Advance(dl.Sub(s.clock.Now()))
		return nil, fmt.Errorf("post: %w", context.DeadlineExceeded)
	}
	s.clock.Advance(st.took)
	status := st.status
	if status == 0 {
		status = 200
	}
	return answerWith(status, "application/json", st.answer)(r)
}

func (s *stepper) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.headers)
}

const throttleAnswer = `{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"too frequent"},"RequestId":"thr"}}`

// Flaw: one 5 s answer at a 3 s deadline made the next minute's calls
// answer DeadlineExceeded at once, sending nothing.
func TestOneSlowAnswerDoesNotFreezeAWarmProcess(t *testing.T) {
	tests := []struct {
		name      string
		first     step
		firstCtx  bool // the first call has SCF's 3 s deadline
		then      []step
		wantSent  int // requests of the second call
		wantErrIs error
	}{
		{"cut by the caller's 3 s deadline, then a quick answer", step{took: 5 * time.Second, answer: okAnswer}, true,
			[]step{{took: 50 * time.Millisecond, answer: okAnswer}}, 1, nil},
		{"5 s without a deadline, then a quick answer", step{took: 5 * time.Second, answer: okAnswer}, false,
			[]step{{took: 50 * time.Millisecond, answer: okAnswer}}, 1, nil},
		{"5 s without a deadline, then a failure: retried within half the budget", step{took: 5 * time.Second, answer: okAnswer}, false,
			[]step{{took: 50 * time.Millisecond, answer: internalAnswer}, {took: 50 * time.Millisecond, answer: okAnswer}}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1700000000, 0)}
			d := &stepper{clock: clock, steps: []step{tt.first}}
			c, err := New(LegacyEndpoint, signer.HmacSHA256, d)
			require.NoError(t, err)
			c.Clock, c.Sleep = clock.Now, clock.Sleep
			c.Rand = func(n int64) int64 { return n - 1 }
			var ctx context.Context = context.Background()
			if tt.firstCtx {
				ctx = clockCtx{context.Background(), clock, clock.Now().Add(3 * time.Second)}
			}
			_, _ = c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
			require.Equal(t, 1, d.count())

			d.mu.Lock()
			d.steps = append([]step{tt.first}, tt.then...)
			d.mu.Unlock()
			clock.Advance(time.Second) // the next invocation, well within a minute
			ctx = clockCtx{context.Background(), clock, clock.Now().Add(3 * time.Second)}
			res, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
			require.NoError(t, err, "2.8 s left is time enough for an attempt")
			assert.Equal(t, tt.wantSent, d.count()-1)
			assert.Equal(t, tt.wantSent, res.Attempts)
		})
	}
}

func TestThrottlesAreRetriedUntilTheDeadline(t *testing.T) {
	tests := []struct {
		name         string
		policy       func(RetryPolicy) RetryPolicy // nil: New's
		steps        []step
		deadline     time.Duration // 0: none
		wantAttempts int
		wantGaps     []time.Duration
		wantCode     string
		wantErr      error
	}{
		{"persistent throttle, 10 s deadline: pauses 0.25, 0.5, then 1 s, then cut to what is left", nil, []step{{answer: throttleAnswer}}, 10 * time.Second,
			13, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second, 50 * time.Millisecond},
			"RequestLimitExceeded", ErrNoTimeLeft},
		{"HTTP 429 is a throttle", nil, []step{{status: 429, answer: "slow down"}, {answer: okAnswer}}, 10 * time.Second,
			2, []time.Duration{250 * time.Millisecond}, "", nil},
		{"persistent throttle, no deadline: MaxThrottleRetries", nil, []step{{answer: throttleAnswer}}, 0,
			DefaultMaxThrottleRetries + 1, nil, "RequestLimitExceeded", nil},
		{"throttles do not use up MaxRetries", nil,
			[]step{{answer: throttleAnswer}, {answer: throttleAnswer}, {answer: throttleAnswer}, {answer: throttleAnswer}, {answer: throttleAnswer}, {answer: okAnswer}}, 60 * time.Second,
			6, nil, "", nil},
		{"other failures keep MaxRetries among throttles", nil,
			[]step{{answer: throttleAnswer}, {answer: internalAnswer}, {answer: throttleAnswer}, {answer: internalAnswer}, {answer: internalAnswer}, {answer: internalAnswer}, {answer: okAnswer}}, 60 * time.Second,
			6, nil, "InternalServerError", nil},
		{"without ThrottleBaseDelay a throttle is one of MaxRetries", func(p RetryPolicy) RetryPolicy { p.ThrottleBaseDelay = 0; return p }, []step{{answer: throttleAnswer}}, 10 * time.Second,
			4, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}, "RequestLimitExceeded", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1700000000, 0)}
			d := &stepper{clock: clock, steps: tt.steps}
			c, err := New(API3Endpoint, signer.TC3HmacSHA256, d)
			require.NoError(t, err)
			c.Clock, c.Sleep = clock.Now, clock.Sleep
			c.Rand = func(n int64) int64 { return n - 1 }
			if tt.policy != nil {
				c.Retry = tt.policy(c.Retry)
			}
			var ctx context.Context = context.Background()
			if tt.deadline > 0 {
				ctx = clockCtx{context.Background(), clock, clock.Now().Add(tt.deadline)}
			}
			res, err := c.Call(ctx, exampleCreds, "ap-guangzhou", oneInstance, nil)
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
			case tt.wantCode == "":
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantAttempts, res.Attempts)
			assert.Equal(t, tt.wantAttempts, d.count())
			assert.Equal(t, tt.wantCode, Code(err))
			if tt.wantGaps != nil {
				var gaps []time.Duration
				for i := 1; i < len(d.starts); i++ {
					gaps = append(gaps, d.starts[i].Sub(d.starts[i-1]))
				}
				assert.Equal(t, tt.wantGaps, gaps)
			}
		})
	}
}

// Flaw: 7 attempts within one second made 5 distinct TC3 signatures.
func TestQuickRetriesHaveDistinctTC3Signatures(t *testing.T) {
	for _, attempts := range []int{2, 7, 11} {
		t.Run(fmt.Sprint(attempts), func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1700000000, 0)}
			steps := make([]step, attempts)
			for i := range steps {
				steps[i] = step{answer: internalAnswer}
			}
			steps[attempts-1].answer = okAnswer
			d := &stepper{clock: clock, steps: steps}
			c, err := New(API3Endpoint, signer.TC3HmacSHA256, d)
			require.NoError(t, err)
			c.Clock, c.Sleep = clock.Now, clock.Sleep
			c.Rand = func(int64) int64 { return 0 } // no pause: all within one second
			c.Retry.MaxRetries = 10
			res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
			require.NoError(t, err)
			require.Equal(t, attempts, res.Attempts)
			auth := map[string]bool{}
			var last int64
			for i, h := range d.headers {
				auth[h.Get("Authorization")] = true
				var ts int64
				_, err := fmt.Sscan(h.Get("X-TC-Timestamp"), &ts)
				require.NoError(t, err)
				assert.Greater(t, ts, last, "attempt %d is stamped after the one before", i+1)
				assert.LessOrEqual(t, ts-clock.Now().Unix(), int64(attempts), "within seconds of the clock, far from the API's 5 minutes")
				last = ts
				want := signer.TC3Sign(signer.TC3Request{HTTPMethod: "POST", Path: "/", Host: "cvm.tencentcloudapi.com",
					ContentType: h.Get("Content-Type"), Payload: d.bodies[i], Service: "cvm", Timestamp: ts}, exampleCreds.SecretID, exampleCreds.SecretKey).Authorization
				assert.Equal(t, want, h.Get("Authorization"), "attempt %d is valid for its own timestamp", i+1)
			}
			assert.Len(t, auth, attempts, "N attempts, N distinct Authorization headers")
		})
	}
}

// Through a real server on loopback: a throttled action slows down, the
// other keeps its pace.
func TestActionRatesThroughAServer(t *testing.T) {
	var mu sync.Mutex
	throttle := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-TC-Action") == "ModifyInstancesProject" && throttle > 0 {
			throttle--
			_, _ = io.WriteString(w, throttleAnswer)
			return
		}
		_, _ = io.WriteString(w, `{"Response":{"RequestId":"ok","TotalCount":0,"InstanceSet":[]}}`)
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/", signer.TC3HmacSHA256, srv.Client())
	require.NoError(t, err)
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	c.Clock, c.Sleep = clock.Now, clock.Sleep
	c.Rates = &ratelimit.ActionRates{Ceilings: map[string]float64{"ModifyInstancesProject": 10}}
	rate := func(action string) (r float64) {
		c.Rates.Update(action, func(a *ratelimit.AdaptiveRate) { r = a.Rate() })
		return r
	}
	res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", oneInstance, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Attempts)
	assert.Less(t, rate("ModifyInstancesProject"), 10.0, "throttled: slowed down")
	assert.Equal(t, 40.0, rate("DescribeInstances"), "another action keeps its documented limit")
	_, err = c.Call(context.Background(), exampleCreds, "ap-guangzhou", DescribeInstances{Limit: 100}, nil)
	require.NoError(t, err)
	assert.Equal(t, 40.0, rate("DescribeInstances"))
}

func TestThrottledJudgement(t *testing.T) {
	tests := []struct {
		res  Result
		err  error
		want bool
	}{
		{Result{}, &APIError{Code: "RequestLimitExceeded"}, true},
		{Result{}, &APIError{Code: "RequestLimitExceeded.UinLimitExceeded"}, true},
		{Result{}, &StatusError{StatusCode: 429}, true},
		{Result{}, fmt.Errorf("wrapped: %w", &StatusError{StatusCode: 429}), true},
		{Result{}, &APIError{Code: "RequestLimitExceededX"}, false},
		{Result{}, &APIError{Code: "InternalServerError"}, false},
		{Result{}, &StatusError{StatusCode: 503}, false},
		{Result{}, nil, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Throttled(tt.err), "%+v %v", tt.res, tt.err)
	}
}
