package e2e

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// Shared instances: others create, stop, recycle and terminate them while
// the function works. Each case of the shared-instances issue, through
// the runtime protocol, against the emulator's states and operations.

// failedOf returns the code of each instance of a's Failed.
func failedOf(a answer) map[string]string {
	out := map[string]string{}
	for _, f := range a.Failed {
		out[f.InstanceId] = f.Code
	}
	return out
}

// An instance still launching (PENDING, RunInstances OPERATING) is not
// sent, which the API would refuse as busy: it is read again, and moved
// once the launch ends.
func TestALaunchingInstanceIsMovedOnceItsLaunchEnds(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.AddInstances(emulator.Instance{ID: "ins-0000new1"})
	_, ok := c.StartOperation("ins-0000new1", emulator.ActionRunInstances, 1500*time.Millisecond)
	require.True(t, ok)
	fn := startFunction(t, c)
	a, _ := fn.invoke(t, directPayload(t, []string{"ins-0000new1"}, 1045), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.True(t, a.Verified)
	assert.EqualValues(t, 1045, c.project(t, "ins-0000new1"))
	for _, m := range c.moves() {
		assert.Empty(t, m.Code, "never refused: sent once the launch ended")
	}
}

// An instance busy past the deadline is unfinished work: a timer gets a
// function error (SCF retries), an HTTP caller 503 with Retry-After; its
// batch partner moves.
func TestAnInstanceBusyUntilTheDeadlineIsUnfinished(t *testing.T) {
	t.Parallel()
	busy := func(c *cloud) {
		_, ok := c.StartOperation("ins-00000002", emulator.ActionStopInstances, time.Minute)
		require.True(t, ok)
	}
	t.Run("HTTP: 503 and Retry-After", func(t *testing.T) {
		c := newCloud(t)
		busy(c)
		fn := startFunction(t, c)
		raw, err := fn.Invoke(apigwPayload(t, directPayload(t, ids(1, 2), 1045)), scfrpc.Invocation{Env: fn.env, Timeout: 3 * time.Second})
		require.NoError(t, err)
		var h httpAnswer
		require.NoError(t, json.Unmarshal(raw, &h))
		assert.Equal(t, http.StatusServiceUnavailable, h.StatusCode)
		assert.Equal(t, "5", h.Headers["Retry-After"])
		var a answer
		require.NoError(t, json.Unmarshal([]byte(h.Body), &a))
		assert.Equal(t, "OperationDenied.InstanceOperationInProgress", a.Code)
		assert.Equal(t, map[string]string{"ins-00000002": "OperationDenied.InstanceOperationInProgress"}, failedOf(a))
		assert.EqualValues(t, 1045, c.project(t, "ins-00000001"), "its batch partner moved")
		assert.EqualValues(t, 0, c.project(t, "ins-00000002"))
		assert.Len(t, c.moves(), 1, "the busy one never sent")
	})
	t.Run("a direct Async invocation: a function error", func(t *testing.T) {
		c := newCloud(t)
		busy(c)
		fn := startFunction(t, c)
		payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 2), "ProjectId": 1045, "Async": true})
		ferr := fn.invokeFunctionError(t, payload, c, 3*time.Second)
		assert.Contains(t, ferr.Message, "OperationDenied.InstanceOperationInProgress")
	})
}

// With VERIFY=false as with it, an instance that another's move keeps busy
// until the deadline is unfinished work, never a Success: without the reads
// the function cannot tell whose move it is, nor where it goes.
func TestAnInstanceMovingUntilTheDeadlineIsUnfinishedWithoutVerify(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	_, ok := c.StartOperation("ins-00000002", "ModifyInstancesProject", time.Minute)
	require.True(t, ok)
	fn := startFunction(t, c, moveOnly)
	payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 2), "ProjectId": 1045, "Async": true})
	ferr := fn.invokeFunctionError(t, payload, c, 3*time.Second)
	assert.Contains(t, ferr.Message, "OperationDenied.InstanceOperationInProgress")
	assert.EqualValues(t, 1045, c.project(t, "ins-00000001"), "its batch partner moved")
}

// A recycled instance is never sent and never takes its batch partner with
// it; it is a permanent failure with its own code (no function error).
func TestARecycledInstanceIsNeverSent(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	require.True(t, c.Recycle("ins-00000002"))
	fn := startFunction(t, c)
	payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 2), "ProjectId": 1045, "Async": true})
	a, _ := fn.invoke(t, payload, c)
	assert.Equal(t, "PartialSuccess", a.Code, a.Message)
	assert.Equal(t, map[string]string{"ins-00000002": "UnsupportedOperation.InstanceStateIsolating"}, failedOf(a))
	assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
	require.Len(t, c.moves(), 1)
	assert.Equal(t, []string{"ins-00000001"}, c.moves()[0].InstanceIDs)
	assert.Empty(t, c.moves()[0].Code)
}

// Terminating and launch-failed instances are never sent either; over
// HTTP, an answer of only such instances is 409.
func TestTerminatingAndLaunchFailedInstancesAreNeverSent(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	_, ok := c.Terminate("ins-00000001", time.Minute)
	require.True(t, ok)
	_, ok = c.LaunchFail("ins-00000002", "insufficient stock")
	require.True(t, ok)
	fn := startFunction(t, c)
	a, status := fn.invoke(t, apigwPayload(t, directPayload(t, ids(1, 2), 1045)), c)
	assert.Equal(t, http.StatusConflict, status, a.Message)
	assert.Equal(t, map[string]string{
		"ins-00000001": "UnsupportedOperation.InstanceStateTerminating",
		"ins-00000002": "UnsupportedOperation.InstanceStateLaunchFailed",
	}, failedOf(a))
	assert.Empty(t, c.moves())
}

// An instance already in the target project is not sent, whatever else
// runs on it (someone's stop), and does not take its partner with it.
func TestAnInstanceInTheProjectWithAStopUnderWayIsNotSent(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	require.True(t, c.Modify("ins-00000001", func(in *emulator.Instance) { in.ProjectID = 1045 }))
	_, ok := c.StartOperation("ins-00000001", emulator.ActionStopInstances, time.Minute)
	require.True(t, ok)
	fn := startFunction(t, c)
	a, _ := fn.invoke(t, directPayload(t, ids(1, 2), 1045), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Equal(t, []string{"ins-00000001"}, a.AlreadyInProject)
	require.Len(t, c.moves(), 1)
	assert.Equal(t, []string{"ins-00000002"}, c.moves()[0].InstanceIDs)
}

// A move outlasts its invocation, then someone stops the instance: SCF's
// retry finds it in the target project and answers Success without
// sending it again.
func TestARetryAfterSomeoneStoppedTheMovedInstanceIsSuccess(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.SetOperationDuration(3 * time.Second)
	fn := startFunction(t, c)
	payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 1), "ProjectId": 1045, "Async": true})
	fn.invokeFunctionError(t, payload, c, 2*time.Second) // OperationPending: unfinished
	// Once the move has ended, someone stops the instance.
	require.Eventually(t, func() bool {
		_, ok := c.StartOperation("ins-00000001", emulator.ActionStopInstances, time.Minute)
		return ok
	}, 5*time.Second, 50*time.Millisecond)

	a, _ := fn.invoke(t, payload, c) // SCF's retry
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Equal(t, []string{"ins-00000001"}, a.AlreadyInProject)
	assert.Len(t, c.moves(), 1, "not sent again")
}

// A redelivery that arrives while the first move still runs waits for it
// rather than being refused and confirms it; when that move ends FAILED,
// it is sent again.
func TestARedeliveryWaitsForTheMoveUnderWay(t *testing.T) {
	t.Parallel()
	t.Run("the first move succeeds", func(t *testing.T) {
		c := newCloud(t)
		c.SetOperationDuration(2 * time.Second)
		fn := startFunction(t, c)
		payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 1), "ProjectId": 1045, "Async": true})
		fn.invokeFunctionError(t, payload, c, time.Second)                                             // the first delivery leaves it OPERATING
		a, _ := fn.invokeWith(t, payload, c, scfrpc.Invocation{Env: fn.env, Timeout: 8 * time.Second}) // the redelivery
		require.Equal(t, "Success", a.Code, a.Message)
		assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
		assert.Len(t, c.moves(), 1, "not sent again")
	})
	t.Run("the first move outlasts the redelivery too: Pending, 202", func(t *testing.T) {
		c := newCloud(t)
		c.SetOperationDuration(time.Minute)
		fn := startFunction(t, c)
		fn.invokeFunctionError(t, directPayloadWith(t, map[string]any{"InstanceIds": ids(1, 1), "ProjectId": 1045, "Async": true}), c, time.Second)
		raw, err := fn.Invoke(apigwPayload(t, directPayload(t, ids(1, 1), 1045)), scfrpc.Invocation{Env: fn.env, Timeout: 3 * time.Second})
		require.NoError(t, err)
		var h httpAnswer
		require.NoError(t, json.Unmarshal(raw, &h))
		assert.Equal(t, http.StatusAccepted, h.StatusCode, h.Body)
		assert.Equal(t, "5", h.Headers["Retry-After"])
		var a answer
		require.NoError(t, json.Unmarshal([]byte(h.Body), &a))
		assert.Equal(t, "OperationPending", a.Code, a.Message)
		assert.Equal(t, ids(1, 1), a.Pending)
		assert.Len(t, c.moves(), 1, "not sent again")
	})
	t.Run("the first move ends FAILED: sent again", func(t *testing.T) {
		c := newCloud(t)
		// An earlier delivery's move, under way, that ends FAILED.
		_, ok := c.StartFailingOperation("ins-00000001", "ModifyInstancesProject", 1500*time.Millisecond, "an internal error")
		require.True(t, ok)
		fn := startFunction(t, c)
		payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 1), "ProjectId": 1045, "Async": true})
		a, _ := fn.invokeWith(t, payload, c, scfrpc.Invocation{Env: fn.env, Timeout: 8 * time.Second})
		require.Equal(t, "Success", a.Code, a.Message)
		assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
		require.Len(t, c.moves(), 1, "sent once the failed move ended")
		assert.Empty(t, c.moves()[0].Code, "never refused as busy")
	})
}

// An instance terminated after its move is NotFound, not Pending: the
// move takes 600 ms; once the waiter's probe (at 0.25 s) has seen it under
// way, the instance is terminated as soon as the move ends, and the next
// poll (at 1 s) finds it gone.
func TestAnInstanceTerminatedDuringItsMoveIsNotFound(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.SetOperationDuration(600 * time.Millisecond)
	var once sync.Once
	var accepted atomic.Bool
	c.OnCall(func(call emulator.Call) {
		switch {
		case call.Action == emulator.Action && call.Code == "":
			accepted.Store(true)
		case call.Action == emulator.ActionDescribe && accepted.Load():
			once.Do(func() {
				go func() {
					for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
						if _, ok := c.Terminate("ins-00000001", 0); ok {
							return
						}
					}
				}()
			})
		}
	})
	fn := startFunction(t, c)
	a, _ := fn.invokeWith(t, directPayload(t, ids(1, 1), 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 5 * time.Second})
	assert.Empty(t, a.Pending, "not polled to the deadline")
	assert.Equal(t, "InvalidInstanceId.NotFound", a.Code, a.Message)
	assert.Equal(t, []string{"ins-00000001"}, a.NotFound)
}

// An operation that ends FAILED carries the API's reason.
func TestAFailedOperationCarriesItsReason(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	require.True(t, c.FailMoveWith("ins-00000001", "the target project is frozen"))
	fn := startFunction(t, c)
	a, _ := fn.invoke(t, directPayload(t, ids(1, 1), 1045), c)
	require.Len(t, a.Failed, 1)
	assert.Equal(t, "FailedOperation.ModifyInstancesProject", a.Failed[0].Code)
	assert.Contains(t, a.Failed[0].Message, "the target project is frozen")
}

// A project that does not exist is the caller's mistake: 404, not 502.
func TestAnUnknownProjectIsTheCallersMistake(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.AddProjects(emulator.Project{ID: 1045, Name: "prod"})
	fn := startFunction(t, c)
	a, status := fn.invoke(t, apigwPayload(t, directPayload(t, ids(1, 1), 99999)), c)
	assert.Equal(t, "InvalidProjectId.NotFound", a.Code, a.Message)
	assert.Equal(t, http.StatusNotFound, status)
}

// An EventBridge RunInstances event names an instance still launching: it
// is moved once launched, by the rule its tag matches.
func TestAnEventForALaunchingInstanceMovesItOnceLaunched(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.AddInstances(emulator.Instance{ID: "ins-0000new1", Tags: []emulator.Tag{{Key: "env", Value: "prod"}}})
	_, ok := c.StartOperation("ins-0000new1", emulator.ActionRunInstances, 1500*time.Millisecond)
	require.True(t, ok)
	fn := startFunction(t, c, projectRules)
	a, _ := fn.invoke(t, []byte(`{"specversion":"1.0","region":"ap-guangzhou","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-0000new1"}`), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.EqualValues(t, 1045, c.project(t, "ins-0000new1"))
	require.Len(t, c.moves(), 1)
	assert.Empty(t, c.moves()[0].Code, "sent once idle, never refused")
}

// A refusal that means busy (the instance got busy between the read and
// the move, or nothing was read) sets the busy instance aside and sends
// the rest again at once, with or without SkipInvalid.
func TestABusyRefusalSetsTheInstanceAsideAndMovesTheRest(t *testing.T) {
	t.Parallel()
	for _, skip := range []string{"SKIP_INVALID=false", "SKIP_INVALID=true"} {
		t.Run(skip, func(t *testing.T) {
			c := newCloud(t)
			_, ok := c.StartOperation("ins-00000002", emulator.ActionStopInstances, time.Minute)
			require.True(t, ok)
			fn := startFunction(t, c, moveOnly, skip) // no read: the refusal is the only news
			a, _ := fn.invokeWith(t, directPayload(t, ids(1, 3), 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 3 * time.Second})
			assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
			assert.EqualValues(t, 1045, c.project(t, "ins-00000003"))
			assert.EqualValues(t, 0, c.project(t, "ins-00000002"))
			assert.Equal(t, 0, a.IsolationCalls, "busy is not invalid: no isolation")
			require.GreaterOrEqual(t, len(c.moves()), 2)
			assert.Equal(t, "OperationDenied.InstanceOperationInProgress", c.moves()[0].Code)
			assert.Equal(t, []string{"ins-00000001", "ins-00000003"}, c.moves()[1].InstanceIDs, "the rest sent again at once")
			assert.Empty(t, c.moves()[1].Code)
		})
	}
}

// A recycled instance that still carries a rule's tag is never sent by a
// reconciliation, and never takes its batch partners with it: no function
// error, timer after timer.
func TestAReconciliationNeverSendsARecycledInstance(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.AddInstances(emulator.TaggedInstances("e", 1, 3, 0, emulator.Tag{Key: "env", Value: "prod"})...)
	all := fleetIDs("e", 1, 3)
	require.True(t, c.Recycle(all[1]))
	fn := startFunction(t, c, projectRules)
	for range 2 {
		raw, err := fn.Invoke(sample(t, "rules-timer-reconcile.json"), scfrpc.Invocation{Env: fn.env, Timeout: 5 * time.Second})
		require.NoError(t, err, "a permanent refusal is no function error: %s", raw)
	}
	assert.EqualValues(t, 1045, c.project(t, all[0]))
	assert.EqualValues(t, 1045, c.project(t, all[2]))
	for _, m := range c.moves() {
		assert.NotContains(t, m.InstanceIDs, all[1])
		assert.Empty(t, m.Code)
	}
}

// The confirmation goes on to the deadline: at SCF's default 3 s, a move
// whose operation takes 2 s is confirmed, not left Pending.
func TestAConfirmationUsesTheWholeDeadline(t *testing.T) {
	c := newCloud(t)
	c.SetOperationDuration(2 * time.Second)
	fn := startFunction(t, c)
	payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 1), "ProjectId": 1045, "Async": true})
	raw, err := fn.Invoke(payload, scfrpc.Invocation{Env: fn.env, Timeout: 3 * time.Second})
	require.NoError(t, err, "confirmed within 3 s: no function error")
	var a answer
	require.NoError(t, json.Unmarshal(raw, &a))
	assert.Equal(t, "Success", a.Code, a.Message)
	assert.True(t, a.Verified)
}

// Without VERIFY, a busy instance that becomes idle within the deadline is
// sent once idle.
func TestABusyInstanceIsSentOnceIdleWithoutVerify(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	_, ok := c.StartOperation("ins-00000002", emulator.ActionStopInstances, time.Second)
	require.True(t, ok)
	fn := startFunction(t, c, moveOnly)
	a, _ := fn.invokeWith(t, directPayload(t, ids(1, 2), 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 5 * time.Second})
	assert.Equal(t, "Success", a.Code, a.Message)
	assert.EqualValues(t, 1045, c.project(t, "ins-00000002"))
}
