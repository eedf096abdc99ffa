package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/run"
	"scf-cvm-project/signer"
)

// Batches run MaxConcurrency at a time, and the answer keeps the request's
// order whatever order they finish in.
func TestBatchesRunConcurrentlyAndAnswerInRequestOrder(t *testing.T) {
	var inFlight, most atomic.Int32
	f := &fakeCVM{answerFn: func(m cvm.ModifyInstancesProject) (cvm.Result, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			old := most.Load()
			if n <= old || most.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond)
		return cvm.Result{RequestID: "req-" + m.InstanceIds[0], Attempts: 1}, nil
	}}
	h := newTestHandler(f)
	h.MaxConcurrency = 4
	out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":`+idsJSON(1000)+`,"ProjectId":3}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	require.Equal(t, answer.CodeSuccess, a.Code)
	require.Len(t, a.Batches, 10)
	for i, b := range a.Batches {
		assert.EqualValues(t, ids(100*i+1, 100*i+100), b.InstanceIds, "batch %d", i)
		assert.Equal(t, "req-"+b.InstanceIds[0], b.RequestId, "batch %d carries its own call's RequestId", i)
		assert.Equal(t, 1, b.Attempts)
	}
	assert.Equal(t, "req-ins-00000001", a.RequestId)
	assert.LessOrEqual(t, most.Load(), int32(4), "never more than MaxConcurrency in flight")
	assert.Greater(t, most.Load(), int32(1), "batches do overlap")
}

func TestAttemptsAreReportedPerBatch(t *testing.T) {
	f := &fakeCVM{answerFn: func(m cvm.ModifyInstancesProject) (cvm.Result, error) {
		if m.InstanceIds[0] == "ins-00000101" {
			return cvm.Result{RequestID: "r2", Attempts: 3}, nil
		}
		return cvm.Result{RequestID: "r1", Attempts: 1}, nil
	}}
	out, err := newTestHandler(f).Invoke(context.Background(), []byte(`{"InstanceIds":`+idsJSON(150)+`,"ProjectId":3}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	require.Len(t, a.Batches, 2)
	assert.Equal(t, []int{1, 3}, []int{a.Batches[0].Attempts, a.Batches[1].Attempts})
}

// simAPI refuses a call all or nothing, as ModifyInstancesProject does:
// NotFound when an id is unknown, else NotSupported when one is bound to
// a load balancer; its messages name the ids unless terse.
type simAPI struct {
	bad   map[string]string // id → the code it is refused with
	terse bool
	calls [][]string
}

func (s *simAPI) call(ids []string) answer.Batch {
	s.calls = append(s.calls, slices.Clone(ids))
	for _, code := range []string{answer.CodeInstanceNotFound, answer.CodeInstanceNotSupported} {
		var named []string
		for _, id := range ids {
			if s.bad[id] == code {
				named = append(named, id)
			}
		}
		if len(named) == 0 {
			continue
		}
		list, _ := json.Marshal(named)
		msg := fmt.Sprintf("The instance %s is refused.", list)
		if s.terse {
			msg = "An instance in the request is refused."
		}
		return answer.Batch{RequestId: fmt.Sprint("req-", len(s.calls)), Code: code, Message: msg, InstanceIds: ids}
	}
	return answer.Batch{RequestId: fmt.Sprint("req-", len(s.calls)), Code: answer.CodeSuccess, InstanceIds: ids}
}

// simCaller is a Caller that answers like simAPI.
func simCaller(api *simAPI) *fakeCVM {
	var mu sync.Mutex
	return &fakeCVM{answerFn: func(m cvm.ModifyInstancesProject) (cvm.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		b := api.call(m.InstanceIds)
		if b.Code == answer.CodeSuccess {
			return cvm.Result{RequestID: b.RequestId, Attempts: 1}, nil
		}
		return cvm.Result{RequestID: b.RequestId, Attempts: 1}, &cvm.APIError{RequestID: b.RequestId, Code: b.Code, Message: b.Message}
	}}
}

func TestSkipInvalidIsolatesTheOffendingInstances(t *testing.T) {
	request := func(extra string) string {
		return `{"InstanceIds":` + idsJSON(150) + `,"ProjectId":3` + extra + `}`
	}
	bad := map[string]string{"ins-00000011": answer.CodeInstanceNotFound, "ins-00000120": answer.CodeInstanceNotSupported}
	tests := []struct {
		name        string
		payload     string
		envDefault  bool
		wantIsolate bool
	}{
		{"asked in the request", request(`,"SkipInvalid":true`), false, true},
		{"asked as a string", request(`,"skipinvalid":"true"`), false, true},
		{"SKIP_INVALID, the request silent", request(``), true, true},
		{"the request wins over SKIP_INVALID", request(`,"SkipInvalid":false`), true, false},
		{"not asked", request(``), false, false},
		{"asked in a timer's query", `{"Type":"Timer","Message":"InstanceIds=` + strings.Join(ids(1, 150), ",") + `&ProjectId=3&SkipInvalid=true"}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &simAPI{bad: bad}
			h := newTestHandler(simCaller(api))
			h.SkipInvalid = tt.envDefault
			out, err := h.Invoke(context.Background(), []byte(tt.payload))
			require.NoError(t, err)
			a := decodeAnswer(t, out)
			require.Len(t, a.Batches, 2)
			if !tt.wantIsolate {
				assert.Equal(t, answer.CodeInstanceNotFound, a.Code, "all or nothing per batch")
				assert.Empty(t, a.Failed)
				assert.Zero(t, a.IsolationCalls)
				assert.Len(t, api.calls, 2)
				return
			}
			assert.Equal(t, answer.CodePartialSuccess, a.Code)
			assert.Equal(t, "moved 148 of 150 instances; 2 failed (see Failed)", a.Message)
			assert.Equal(t, "req-1", a.RequestId, "the first batch's own call")
			assert.EqualValues(t, []answer.Failure{
				{InstanceId: "ins-00000011", Code: answer.CodeInstanceNotFound, Message: `The instance ["ins-00000011"] is refused.`},
				{InstanceId: "ins-00000120", Code: answer.CodeInstanceNotSupported, Message: `The instance ["ins-00000120"] is refused.`},
			}, a.Failed)
			assert.Equal(t, 2, a.IsolationCalls, "one call per batch for the rest")
			assert.Len(t, api.calls, 4)
			for _, b := range a.Batches {
				assert.Equal(t, answer.CodePartialSuccess, b.Code)
				assert.NotEmpty(t, b.RequestId)
				assert.Equal(t, 1, b.Attempts)
			}
		})
	}
}

func TestSkipInvalidOverHTTPAnswers207(t *testing.T) {
	api := &simAPI{bad: map[string]string{"ins-00000002": answer.CodeInstanceNotFound}, terse: true}
	body, err := json.Marshal(`{"InstanceIds":["ins-00000001","ins-00000002","ins-00000003"],"ProjectId":3,"SkipInvalid":true}`)
	require.NoError(t, err)
	ev := `{"requestContext":{"serviceId":"s","requestId":"r"},"httpMethod":"POST","path":"/move","headers":{"content-type":"application/json"},"body":` + string(body) + `}`
	h := newTestHandler(simCaller(api))
	h.Security.AllowAnonymousHTTP = true // the event sends no token
	out, err := h.Invoke(context.Background(), []byte(ev))
	require.NoError(t, err)
	var resp struct {
		StatusCode int
		Body       string
	}
	require.NoError(t, json.Unmarshal(out, &resp))
	assert.Equal(t, http.StatusMultiStatus, resp.StatusCode)
	a := decodeAnswer(t, []byte(resp.Body))
	assert.Equal(t, answer.CodePartialSuccess, a.Code)
	require.Len(t, a.Failed, 1)
	assert.Equal(t, "ins-00000002", a.Failed[0].InstanceId)
	// [1] moves; [2,3] is then known to fail: [2] fails, [3] moves.
	assert.Equal(t, 3, a.IsolationCalls)
}

func TestSkipInvalidWhenNoneMoved(t *testing.T) {
	api := &simAPI{bad: map[string]string{"ins-00000001": answer.CodeInstanceNotFound}}
	h := newTestHandler(simCaller(api))
	h.SkipInvalid = true
	out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	assert.Equal(t, answer.CodeInstanceNotFound, a.Code, "the offending code, not PartialSuccess")
	assert.Len(t, a.Failed, 1)
	assert.Zero(t, a.IsolationCalls)
}

// A panic in one batch's goroutine, which Invoke's recover cannot reach,
// is that batch's InternalError; the other batches' outcomes stay.
func TestAPanicInABatchKeepsTheOtherBatches(t *testing.T) {
	var logs strings.Builder
	f := &fakeCVM{answerFn: func(m cvm.ModifyInstancesProject) (cvm.Result, error) {
		if m.InstanceIds[0] == "ins-00000101" {
			panic("boom")
		}
		return cvm.Result{RequestID: "ok", Attempts: 1}, nil
	}}
	h := newTestHandler(f)
	h.MaxConcurrency = 3
	h.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":`+idsJSON(300)+`,"ProjectId":3}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	require.Len(t, a.Batches, 3)
	assert.Equal(t, []string{answer.CodeSuccess, answer.CodeInternalError, answer.CodeSuccess}, []string{a.Batches[0].Code, a.Batches[1].Code, a.Batches[2].Code})
	assert.Equal(t, answer.CodeInternalError, a.Code)
	assert.Contains(t, logs.String(), `"panic":"boom"`)
}

// blockingDoer answers after its delay, or fails when the request's
// context ends first, as a slow API would.
type blockingDoer struct{ delay time.Duration }

func (d blockingDoer) Do(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-time.After(d.delay):
		return stubTransport{}.Do(r)
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// With a real client, concurrent batches and a short deadline, the answer
// comes before the deadline and says how far it got. The run has 550 ms
// (the deadline less AnswerMargin); the margin leaves the answer of 1,000
// ids time to be written on a loaded machine under the race detector.
func TestTheDeadlineCutsConcurrentBatchesAndTheAnswerSaysSo(t *testing.T) {
	client, err := cvm.New(cvm.LegacyEndpoint, signer.HmacSHA256, blockingDoer{delay: 120 * time.Millisecond})
	require.NoError(t, err)
	h := &Handler{Runner: run.Runner{Logger: discard, CVM: client, MaxConcurrency: 2}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou", AnswerMargin: 300 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 850*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	out, err := h.Invoke(ctx, []byte(`{"InstanceIds":`+idsJSON(1000)+`,"ProjectId":3}`))
	require.NoError(t, err)
	assert.True(t, time.Now().Before(deadline), "answered before the deadline")
	a := decodeAnswer(t, out)
	assert.Equal(t, answer.CodeDeadlineExceeded, a.Code)
	done := 0
	for _, b := range a.Batches {
		if b.Code == answer.CodeSuccess {
			done++
			assert.Equal(t, 1, b.Attempts)
		} else {
			assert.Equal(t, answer.CodeDeadlineExceeded, b.Code)
		}
	}
	assert.Greater(t, done, 0)
	assert.Less(t, done, 10)
	assert.Contains(t, a.Message, fmt.Sprintf("with %d of 10 batches done", done))
}

func TestNewFromEnvTuning(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    config.Tuning
		wantErr string
	}{
		{map[string]string{}, config.Tuning{MaxRetries: 3, MaxConcurrency: 4, RateLimit: 10}, ""},
		{map[string]string{config.EnvMaxRetries: "0", config.EnvMaxConcurrency: "1", config.EnvRateLimit: "2.5", config.EnvSkipInvalid: "true"}, config.Tuning{MaxRetries: 0, MaxConcurrency: 1, RateLimit: 2.5, SkipInvalid: true}, ""},
		{map[string]string{config.EnvMaxRetries: " 10 ", config.EnvMaxConcurrency: "100", config.EnvRateLimit: "1000", config.EnvSkipInvalid: "0"}, config.Tuning{MaxRetries: 10, MaxConcurrency: 100, RateLimit: 1000}, ""},
		{map[string]string{config.EnvMaxRetries: "-1"}, config.Tuning{}, "MAX_RETRIES"},
		{map[string]string{config.EnvMaxRetries: "11"}, config.Tuning{}, "MAX_RETRIES"},
		{map[string]string{config.EnvMaxRetries: "three"}, config.Tuning{}, "MAX_RETRIES"},
		{map[string]string{config.EnvMaxConcurrency: "0"}, config.Tuning{}, "MAX_CONCURRENCY"},
		{map[string]string{config.EnvMaxConcurrency: "101"}, config.Tuning{}, "MAX_CONCURRENCY"},
		{map[string]string{config.EnvRateLimit: "0"}, config.Tuning{MaxRetries: 3, MaxConcurrency: 4, RateLimit: math.Inf(1)}, ""},
		{map[string]string{config.EnvRateLimit: "-1"}, config.Tuning{}, "RATE_LIMIT"},
		{map[string]string{config.EnvRateLimit: "1001"}, config.Tuning{}, "RATE_LIMIT"},
		{map[string]string{config.EnvRateLimit: "NaN"}, config.Tuning{}, "RATE_LIMIT"},
		{map[string]string{config.EnvRateLimit: "fast"}, config.Tuning{}, "RATE_LIMIT"},
		{map[string]string{config.EnvSkipInvalid: "yes"}, config.Tuning{}, "SKIP_INVALID"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			h := NewFromEnv(func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				require.NotNil(t, h.ConfigErr)
				assert.Equal(t, answer.CodeInvalidConfig, h.ConfigErr.Code)
				assert.Contains(t, h.ConfigErr.Message, tt.wantErr)
				return
			}
			require.Nil(t, h.ConfigErr)
			c := h.CVM.(*cvm.Client)
			assert.Equal(t, tt.want.MaxRetries, c.Retry.MaxRetries)
			assert.Equal(t, tt.want.MaxConcurrency, h.MaxConcurrency)
			assert.Equal(t, tt.want.SkipInvalid, h.SkipInvalid)
			if math.IsInf(tt.want.RateLimit, 1) {
				assert.Nil(t, c.Rates, "0: no client-side limit")
			} else {
				require.NotNil(t, c.Rates)
				assert.Equal(t, map[string]float64{"ModifyInstancesProject": tt.want.RateLimit}, c.Rates.Ceilings)
			}
		})
	}
}
