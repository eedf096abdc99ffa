package emulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DescribeInstances gives the state each helper sets, with the fields of
// the Instance data structure.
func TestInstanceStatesAreDescribed(t *testing.T) {
	tests := []struct {
		name                                         string
		set                                          func(e *Emulator) bool
		state, restrict, source, op, opState, errMsg string
	}{
		{"default", func(*Emulator) bool { return true }, StateRunning, "", "", "", "", ""},
		{"stopped", func(e *Emulator) bool { return e.SetState("ins-aaaa0001", StateStopped) }, StateStopped, "", "", "", "", ""},
		{"recycled", func(e *Emulator) bool { return e.Recycle("ins-aaaa0001") }, StateShutdown, "", IsolatedManmade, "", "", ""},
		{"isolated for arrears", func(e *Emulator) bool { return e.Isolate("ins-aaaa0001", IsolatedArrear) }, StateShutdown, "", IsolatedArrear, "", "", ""},
		{"protectively isolated", func(e *Emulator) bool { return e.SetRestrictState("ins-aaaa0001", RestrictProtectivelyIsolated) }, StateRunning, RestrictProtectivelyIsolated, "", "", "", ""},
		{"launch failed", func(e *Emulator) bool { _, ok := e.LaunchFail("ins-aaaa0001", "insufficient resources"); return ok },
			StateLaunchFailed, "", "", ActionRunInstances, OperationFailed, "insufficient resources"},
		{"by Modify", func(e *Emulator) bool {
			return e.Modify("ins-aaaa0001", func(in *Instance) { in.RestrictState, in.IsolatedSource = RestrictNormal, IsolatedNot })
		}, StateRunning, RestrictNormal, IsolatedNot, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			require.True(t, tt.set(v.e))
			found, state, restrict, source, op, opState, _, errMsg := v.describedState(t, "ins-aaaa0001")
			require.True(t, found)
			assert.Equal(t, []string{tt.state, tt.restrict, tt.source, tt.op, tt.opState, tt.errMsg},
				[]string{state, restrict, source, op, opState, errMsg})
		})
	}
	assert.False(t, New().SetState("ins-nothere", StateStopped), "an unknown instance")
}

// Someone else's operation has its own RequestId, runs in its state for
// its duration on the emulator's clock, refuses moves meanwhile, then ends
// in the state its action leads to (or FAILED, with its message).
func TestOthersOperationsOverTime(t *testing.T) {
	tests := []struct {
		name, action, failMsg   string
		during, after           string
		wantState, wantErrorMsg string
		gone                    bool
	}{
		{"create", ActionRunInstances, "", StatePending, StateRunning, OperationSuccess, "", false},
		{"create fails", ActionRunInstances, "no capacity", StatePending, StateLaunchFailed, OperationFailed, "no capacity", false},
		{"stop", ActionStopInstances, "", StateStopping, StateStopped, OperationSuccess, "", false},
		{"stop fails", ActionStopInstances, "timed out", StateStopping, StateRunning, OperationFailed, "timed out", false},
		{"start", ActionStartInstances, "", StateStarting, StateRunning, OperationSuccess, "", false},
		{"reboot", ActionRebootInstances, "", StateRebooting, StateRunning, OperationSuccess, "", false},
		{"other action keeps the state", "ResetInstance", "", StateRunning, StateRunning, OperationSuccess, "", false},
		{"terminate", ActionTerminateInstances, "", StateTerminating, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := newClockedEnv(t)
			var rid string
			var ok bool
			if tt.failMsg != "" {
				rid, ok = v.e.StartFailingOperation("ins-aaaa0001", tt.action, 10*time.Second, tt.failMsg)
			} else {
				rid, ok = v.e.StartOperation("ins-aaaa0001", tt.action, 10*time.Second)
			}
			require.True(t, ok)
			require.NotEmpty(t, rid)

			_, state, _, _, op, opState, gotRID, _ := v.describedState(t, "ins-aaaa0001")
			assert.Equal(t, []string{tt.during, tt.action, OperationOperating, rid}, []string{state, op, opState, gotRID})
			a := v.move(t, 1045, "ins-aaaa0002", "ins-aaaa0001")
			assert.Equal(t, CodeOperationInProgress, a.Code)
			assert.Contains(t, a.Message, `["ins-aaaa0001"]`, "names the busy instance only")
			assert.NotContains(t, a.Message, "ins-aaaa0002")
			_, again := v.e.StartOperation("ins-aaaa0001", ActionStopInstances, time.Second)
			assert.False(t, again, "a second operation while one runs")

			c.advance(10 * time.Second)
			found, state, _, _, op, opState, gotRID, errMsg := v.describedState(t, "ins-aaaa0001")
			if tt.gone {
				assert.False(t, found, "a terminated instance leaves the listing")
				_, inTable := v.e.Instance("ins-aaaa0001")
				assert.False(t, inTable)
				assert.Equal(t, CodeNotFound, v.move(t, 1045, "ins-aaaa0001").Code)
				return
			}
			require.True(t, found)
			assert.Equal(t, []string{tt.after, tt.action, tt.wantState, rid, tt.wantErrorMsg}, []string{state, op, opState, gotRID, errMsg})
		})
	}
}

// Terminate is TerminateInstances by someone else.
func TestTerminate(t *testing.T) {
	v, c := newClockedEnv(t)
	rid, ok := v.e.Terminate("ins-aaaa0001", 3*time.Second)
	require.True(t, ok)
	in, _ := v.e.Instance("ins-aaaa0001")
	assert.Equal(t, []string{StateTerminating, ActionTerminateInstances, OperationOperating, rid},
		[]string{in.State, in.LatestOperation, in.LatestOperationState, in.LatestOperationRequestID})
	c.advance(3 * time.Second)
	_, ok = v.e.Instance("ins-aaaa0001")
	assert.False(t, ok)
	_, ok = v.e.Terminate("ins-aaaa0001", 0)
	assert.False(t, ok, "already gone")
}

// ModifyInstancesProject refuses an instance by its state, with the code
// of the API's list, naming the refused instances and no other.
func TestMoveRefusedByState(t *testing.T) {
	tests := []struct {
		name     string
		set      func(e *Emulator)
		wantCode string
	}{
		{"recycled", func(e *Emulator) { e.Recycle("ins-aaaa0001") }, CodeStateIsolating},
		{"isolated on expiry", func(e *Emulator) { e.Isolate("ins-aaaa0001", IsolatedExpire) }, CodeStateIsolating},
		{"protectively isolated", func(e *Emulator) { e.SetRestrictState("ins-aaaa0001", RestrictProtectivelyIsolated) }, CodeStateIsolating},
		{"launch failed", func(e *Emulator) { e.LaunchFail("ins-aaaa0001", "failed") }, CodeStateLaunchFailed},
		{"terminating without an operation", func(e *Emulator) { e.SetState("ins-aaaa0001", StateTerminating) }, CodeStateTerminating},
		{"stopped is accepted", func(e *Emulator) { e.SetState("ins-aaaa0001", StateStopped) }, ""},
		{"expired alone is accepted", func(e *Emulator) { e.SetRestrictState("ins-aaaa0001", RestrictExpired) }, ""},
		{"refusal turned off", func(e *Emulator) { e.Recycle("ins-aaaa0001"); e.SetStateRefusal(StateShutdown, "") }, ""},
		{"refusal changed", func(e *Emulator) {
			e.SetState("ins-aaaa0001", StateStopped)
			e.SetStateRefusal(StateStopped, "UnsupportedOperation.InstanceStateStopped")
		}, "UnsupportedOperation.InstanceStateStopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			tt.set(v.e)
			a := v.move(t, 1045, "ins-aaaa0002", "ins-aaaa0001")
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			p := projects(v.e)
			if tt.wantCode == "" {
				assert.Equal(t, int64(1045), p["ins-aaaa0001"])
				return
			}
			assert.Contains(t, a.Message, `["ins-aaaa0001"]`)
			assert.NotContains(t, a.Message, "ins-aaaa0002")
			assert.Equal(t, []int64{0, 0}, []int64{p["ins-aaaa0001"], p["ins-aaaa0002"]}, "all or nothing")

			v.e.SetTerseMessages(true)
			a = v.move(t, 1045, "ins-aaaa0002", "ins-aaaa0001")
			assert.Equal(t, tt.wantCode, a.Code)
			assert.NotContains(t, a.Message, "ins-aaaa0001", "terse")
		})
	}
}

// Several refused instances are named together; an operation under way is
// refused before a state.
func TestMoveRefusalsNameEveryInstance(t *testing.T) {
	v := newEnv(t)
	v.e.Recycle("ins-aaaa0001")
	v.e.Recycle("ins-aaaa0002")
	a := v.move(t, 1045, "ins-aaaa0001", "ins-aaaa0002", "ins-aaaa0003")
	assert.Equal(t, CodeStateIsolating, a.Code)
	assert.Contains(t, a.Message, `["ins-aaaa0001","ins-aaaa0002"]`)

	v.e.StartOperation("ins-aaaa0003", ActionStopInstances, time.Hour)
	a = v.move(t, 1045, "ins-aaaa0001", "ins-aaaa0003")
	assert.Equal(t, CodeOperationInProgress, a.Code)
	assert.Contains(t, a.Message, `["ins-aaaa0003"]`)
}

// Under SetMutexTaskRunning, a move of an instance whose own move runs is
// refused MutexOperation.TaskRunning; another operation still gets
// OperationDenied.InstanceOperationInProgress.
func TestMutexTaskRunning(t *testing.T) {
	tests := []struct {
		name  string
		mutex bool
		other bool // the running operation is someone's StopInstances
		want  string
	}{
		{"off", false, false, CodeOperationInProgress},
		{"on, own move", true, false, CodeMutexTaskRunning},
		{"on, another operation", true, true, CodeOperationInProgress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := newClockedEnv(t)
			v.e.SetOperationDuration(time.Minute)
			v.e.SetMutexTaskRunning(tt.mutex)
			if tt.other {
				_, ok := v.e.StartOperation("ins-aaaa0001", ActionStopInstances, time.Minute)
				require.True(t, ok)
			} else {
				require.Empty(t, v.move(t, 1045, "ins-aaaa0001").Code)
			}
			a := v.move(t, 1045, "ins-aaaa0001")
			assert.Equal(t, tt.want, a.Code)
			assert.Contains(t, a.Message, `["ins-aaaa0001"]`)
		})
	}
}

// Once the account's projects are set, a move to another project is
// refused InvalidProjectId.NotFound; project 0 always exists.
func TestMoveToAProjectThatDoesNotExist(t *testing.T) {
	tests := []struct {
		name     string
		projects []Project
		project  int64
		want     string
	}{
		{"no projects set: any", nil, 999, ""},
		{"known", []Project{{ID: 1045, Name: "prod"}}, 1045, ""},
		{"default project", []Project{{ID: 1045, Name: "prod"}}, 0, ""},
		{"unknown", []Project{{ID: 1045, Name: "prod"}}, 999, CodeProjectNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.e.AddProjects(tt.projects...)
			a := v.move(t, tt.project, "ins-aaaa0001")
			assert.Equal(t, tt.want, a.Code, a.Message)
			if tt.want != "" {
				assert.Contains(t, a.Message, "999")
			}
		})
	}
}

// A move that ends FAILED gives its reason in LatestOperationErrorMsg.
func TestFailedMoveGivesItsReason(t *testing.T) {
	tests := []struct {
		name, msg, want string
	}{
		{"message set", "The project has no quota left.", "The project has no quota left."},
		{"default message", "", "The emulator fails this move (FailMove)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			if tt.msg != "" {
				require.True(t, v.e.FailMoveWith("ins-aaaa0001", tt.msg))
			} else {
				require.True(t, v.e.SetFailMove("ins-aaaa0001", true))
			}
			a := v.move(t, 1045, "ins-aaaa0001")
			require.Empty(t, a.Code)
			_, _, _, _, op, opState, rid, errMsg := v.describedState(t, "ins-aaaa0001")
			assert.Equal(t, []string{Action, OperationFailed, a.RequestID, tt.want}, []string{op, opState, rid, errMsg})
			require.Empty(t, v.move(t, 1045, "ins-aaaa0002").Code)
			_, _, _, _, _, _, _, errMsg = v.describedState(t, "ins-aaaa0002")
			assert.Empty(t, errMsg, "a move that succeeds has none")
		})
	}
}

// ChangeGroupsDuringMove: the groups someone binds while a move runs are
// what the instance has once it ends, detached or not; once.
func TestChangeGroupsDuringMove(t *testing.T) {
	tests := []struct {
		name   string
		detach bool
	}{{"groups detached by the move", true}, {"groups kept by the move", false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := newClockedEnv(t)
			v.e.SetDetachSecurityGroupsOnMove(tt.detach)
			v.e.SetOperationDuration(5 * time.Second)
			v.e.SetSecurityGroups("ins-aaaa0001", "sg-5275dorp", "sg-aaaa0001")
			require.True(t, v.e.ChangeGroupsDuringMove("ins-aaaa0001", "sg-quaranti"))
			require.Empty(t, v.move(t, 1045, "ins-aaaa0001").Code)
			in, _ := v.e.Instance("ins-aaaa0001")
			assert.Equal(t, []string{"sg-5275dorp", "sg-aaaa0001"}, in.SecurityGroupIDs, "not yet")
			c.advance(5 * time.Second)
			in, _ = v.e.Instance("ins-aaaa0001")
			assert.Equal(t, []string{"sg-quaranti"}, in.SecurityGroupIDs)

			v.e.SetSecurityGroups("ins-aaaa0001", "sg-5275dorp")
			require.Empty(t, v.move(t, 0, "ins-aaaa0001").Code)
			c.advance(5 * time.Second)
			in, _ = v.e.Instance("ins-aaaa0001")
			if tt.detach {
				assert.Empty(t, in.SecurityGroupIDs, "once only")
			} else {
				assert.Equal(t, []string{"sg-5275dorp"}, in.SecurityGroupIDs, "once only")
			}
		})
	}
	assert.False(t, New().ChangeGroupsDuringMove("ins-nothere"))
}
