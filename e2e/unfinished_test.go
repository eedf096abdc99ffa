package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// invokeFunctionError invokes and requires a function error (scf-go-lib's
// InvokeResponse.Error, as SCF sees it), which it returns; nothing of the
// answer comes back with it.
func (fn *function) invokeFunctionError(t *testing.T, payload []byte, c *cloud, timeout time.Duration) *scfrpc.FunctionError {
	t.Helper()
	raw, err := fn.Invoke(payload, scfrpc.Invocation{Env: fn.env, Timeout: timeout})
	var ferr *scfrpc.FunctionError
	require.ErrorAs(t, err, &ferr, "a function error, not an answer: %s", raw)
	assert.Nil(t, raw, "no payload beside a function error")
	assert.Equal(t, "UnfinishedError", ferr.Type)
	assert.NotContains(t, ferr.Message, "127.0.0.1", "no socket address in a function error")
	for _, s := range c.secrets() {
		require.NotContains(t, ferr.Message, s, "a secret in the function error")
	}
	return ferr
}

// A timer's reconciliation that the account's limit and the deadline cut
// short fails the invocation, so SCF delivers it again; the retry re-reads
// the tags and projects and moves only what is left.
func TestAnUnfinishedTimerFailsAndItsRetryMovesWhatIsLeft(t *testing.T) {
	c := newCloud(t)
	c.AddInstances(emulator.TaggedInstances("e", 1, 500, 0, emulator.Tag{Key: "env", Value: "prod"})...)
	c.SetRateLimits(map[string]int{emulator.Action: 1}) // one move a second for the account
	fn := startFunction(t, c, projectRules, "MAX_CONCURRENCY=4")
	all := fleetIDs("e", 1, 500)
	timer := sample(t, "rules-timer-reconcile.json")

	ferr := fn.invokeFunctionError(t, timer, c, 2*time.Second)
	assert.Contains(t, ferr.Message, "RequestLimitExceeded", "the cause: throttled until the deadline")
	var left []string
	for _, id := range all {
		if c.project(t, id) != 1045 {
			left = append(left, id)
		}
	}
	require.NotEmpty(t, left, "the deadline cut the reconciliation short")
	require.Less(t, len(left), len(all), "some batches moved")
	assert.Positive(t, c.Throttled()[emulator.Action], "the account's limit throttled the function")

	// SCF's retry, once the burst is over.
	c.SetRateLimits(nil)
	before := len(c.Calls())
	a, _ := fn.invokeWith(t, timer, c, scfrpc.Invocation{Env: fn.env, Timeout: 10 * time.Second})
	require.Equal(t, "Success", a.Code, a.Message)
	var moved []string
	for _, b := range a.Batches {
		moved = append(moved, b.InstanceIds...)
	}
	slices.Sort(moved)
	assert.Equal(t, left, moved, "the retry moves only what was left")
	assert.Equal(t, len(all)-len(left), a.Rules[0].AlreadyInProject)
	for _, id := range all {
		require.EqualValues(t, 1045, c.project(t, id), id)
	}
	for _, call := range c.Calls()[before:] {
		if call.Action == emulator.Action {
			for _, id := range call.InstanceIDs {
				assert.Contains(t, left, id, "a moved instance sent again")
			}
		}
	}
}

// A direct invocation chooses: without Async its caller reads the answer
// (and decides whether to call again); with Async, unfinished work is a
// function error, as for a timer. A permanent failure is an answer either
// way, and so is every HTTP call.
func TestADirectInvocationChoosesWithAsync(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		request   map[string]any
		apigw     bool
		wantError bool
		wantCode  string
	}{
		{"direct", map[string]any{"InstanceIds": []string{"ins-00000001"}, "ProjectId": 1045}, false, false, "RequestLimitExceeded"},
		{"direct, Async", map[string]any{"InstanceIds": []string{"ins-00000001"}, "ProjectId": 1045, "Async": true}, false, true, ""},
		{"direct, Async, an unknown instance", map[string]any{"InstanceIds": []string{"ins-0000dead"}, "ProjectId": 1045, "Async": true}, false, false, "InvalidInstanceId.NotFound"},
		{"API Gateway, Async", map[string]any{"InstanceIds": []string{"ins-00000001"}, "ProjectId": 1045, "Async": true}, true, false, "RequestLimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCloud(t)
			if tt.wantCode != "InvalidInstanceId.NotFound" {
				c.Script(repeat(emulator.Fault{Kind: emulator.FaultRequestLimitExceeded}, 100)...)
			}
			fn := startFunction(t, c)
			payload := directPayloadWith(t, tt.request)
			if tt.apigw {
				payload = apigwPayload(t, payload)
			}
			if tt.wantError {
				ferr := fn.invokeFunctionError(t, payload, c, 1500*time.Millisecond)
				assert.Contains(t, ferr.Message, "RequestLimitExceeded", "the cause: throttled until the deadline")
				assert.Contains(t, ferr.Message, "1 instances named, 1 not moved")
				return
			}
			a, status := fn.invokeWith(t, payload, c, scfrpc.Invocation{Env: fn.env, Timeout: 1500 * time.Millisecond})
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			if tt.apigw {
				assert.Equal(t, http.StatusTooManyRequests, status)
			}
		})
	}
}

// The function error goes through the runtime's protocol as scf-go-lib
// sends it: scfrpc surfaces it as a *FunctionError, not as an answer.
func TestAFunctionErrorIsNotAnAnswer(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.Script(repeat(emulator.Fault{Kind: emulator.FaultHTTP502}, 100)...)
	fn := startFunction(t, c, "MAX_RETRIES=1")
	payload, err := json.Marshal(map[string]any{"Type": "Timer", "TriggerName": "t", "Time": "2026-11-30T00:00:00Z",
		"Message": `{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":1045}`})
	require.NoError(t, err)
	_, ierr := fn.Invoke(payload, scfrpc.Invocation{Env: fn.env, Timeout: 5 * time.Second})
	var ferr *scfrpc.FunctionError
	require.True(t, errors.As(ierr, &ferr), "%v", ierr)
	assert.Contains(t, ferr.Message, "InternalError.UpstreamBadResponse")
	assert.Eventually(t, func() bool { return strings.Contains(fn.Output(), `"function_error":true`) }, 2*time.Second, 10*time.Millisecond,
		"the invocation's log line says so")
}
