package batch

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// Every row of the shared-instances table: what the read shows decides.
func TestNext(t *testing.T) {
	operating := func(action string) cvm.Instance {
		return cvm.Instance{ProjectID: 0, State: "RUNNING", LatestOperation: action, LatestOperationState: cvm.OperationOperating, LatestOperationRequestId: "req-9"}
	}
	inProject := func(in cvm.Instance) cvm.Instance { in.ProjectID = 7; return in }
	tests := []struct {
		name     string
		in       cvm.Instance
		found    bool
		want     Step
		wantCode string
	}{
		{"idle, elsewhere", cvm.Instance{State: "RUNNING"}, true, Send, ""},
		{"stopped, elsewhere", cvm.Instance{State: "STOPPED"}, true, Send, ""},
		{"in the project, idle", cvm.Instance{ProjectID: 7, State: "RUNNING"}, true, There, ""},
		{"in the project, someone's stop under way", inProject(operating("StopInstances")), true, There, ""},
		{"in the project, a move under way", inProject(operating("ModifyInstancesProject")), true, WaitMove, ""},
		{"a move under way, elsewhere", operating("ModifyInstancesProject"), true, WaitMove, ""},
		{"launching", cvm.Instance{State: "PENDING", LatestOperation: "RunInstances", LatestOperationState: cvm.OperationOperating}, true, WaitOther, ""},
		{"stopping", cvm.Instance{State: "STOPPING", LatestOperation: "StopInstances", LatestOperationState: cvm.OperationOperating}, true, WaitOther, ""},
		{"in the recycle bin", cvm.Instance{State: "SHUTDOWN", IsolatedSource: "MANMADE"}, true, Never, CodeStateIsolating},
		{"isolated for arrears", cvm.Instance{State: "STOPPED", IsolatedSource: "ARREAR"}, true, Never, CodeStateIsolating},
		{"protectively isolated", cvm.Instance{State: "RUNNING", RestrictState: "PROTECTIVELY_ISOLATED"}, true, Never, CodeStateIsolating},
		{"expired but not isolated", cvm.Instance{State: "RUNNING", RestrictState: "EXPIRED", IsolatedSource: "NOTISOLATED"}, true, Send, ""},
		{"terminating", cvm.Instance{State: "TERMINATING", LatestOperation: "TerminateInstances", LatestOperationState: cvm.OperationOperating}, true, Never, CodeStateTerminating},
		{"launch failed", cvm.Instance{State: "LAUNCH_FAILED"}, true, Never, CodeStateLaunchFailed},
		{"not listed", cvm.Instance{}, false, Absent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, code := Next(tt.in, tt.found, 7)
			assert.Equal(t, tt.want, step)
			assert.Equal(t, tt.wantCode, code)
		})
	}
}

// A busy refusal sets aside the instances it names, else those the read
// shows busy, else all; Move sends the rest again at once.
func TestBusyIn(t *testing.T) {
	group := []string{"ins-00000001", "ins-00000002", "ins-00000003"}
	readBusy := func(id string) bool { return id == "ins-00000003" }
	assert.Equal(t, []string{"ins-00000002"}, busyIn(`The instance ["ins-00000002"] already has operation in progress.`, group, readBusy))
	assert.Equal(t, []string{"ins-00000003"}, busyIn("already has operation in progress.", group, readBusy))
	assert.Equal(t, group, busyIn("already has operation in progress.", group, func(string) bool { return false }))
	assert.True(t, Busy(CodeBusy))
	assert.True(t, Busy(CodeMutexTaskRunning))
	assert.False(t, Busy(CodeStateIsolating))
}

// busyAPI refuses a move naming any instance of busy, naming it (unless
// terse), and accepts the others.
type busyAPI struct {
	busy  map[string]bool
	terse bool
	calls [][]string
}

func (f *busyAPI) Call(_ context.Context, _ credentials.Provider, _ string, a cvm.Action, _ any) (cvm.Result, error) {
	ids := a.(cvm.ModifyInstancesProject).InstanceIds
	f.calls = append(f.calls, slices.Clone(ids))
	for _, id := range ids {
		if f.busy[id] {
			msg := fmt.Sprintf("The instance [%q] already has operation in progress. Please try again later.", id)
			if f.terse {
				msg = "An instance already has operation in progress. Please try again later."
			}
			return cvm.Result{RequestID: "req-busy"}, &cvm.APIError{RequestID: "req-busy", Code: CodeBusy, Message: msg}
		}
	}
	return cvm.Result{RequestID: fmt.Sprint("req-", len(f.calls))}, nil
}

func TestMoveSetsBusyInstancesAsideAndSendsTheRestAtOnce(t *testing.T) {
	for _, skip := range []bool{false, true} {
		api := &busyAPI{busy: map[string]bool{"ins-00000002": true}}
		o := Move(context.Background(), api, nil, "ap-guangzhou", 7, ids(1, 3), skip, nil)
		require.NoError(t, o.Err, "SkipInvalid %v", skip)
		assert.Equal(t, []string{"ins-00000001", "ins-00000003"}, o.InstanceIds)
		assert.Equal(t, []string{"ins-00000002"}, o.SetAside)
		assert.Equal(t, [][]string{ids(1, 3), {"ins-00000001", "ins-00000003"}}, api.calls)
	}
	// Unnamed: the read says which is busy.
	api := &busyAPI{busy: map[string]bool{"ins-00000003": true}, terse: true}
	o := Move(context.Background(), api, nil, "ap-guangzhou", 7, ids(1, 3), false, func(id string) bool { return id == "ins-00000003" })
	require.NoError(t, o.Err)
	assert.Equal(t, []string{"ins-00000003"}, o.SetAside)
	// All busy: nothing moved, all set aside.
	api = &busyAPI{busy: map[string]bool{"ins-00000001": true}, terse: true}
	o = Move(context.Background(), api, nil, "ap-guangzhou", 7, ids(1, 1), false, nil)
	assert.Empty(t, o.InstanceIds)
	assert.Equal(t, ids(1, 1), o.SetAside)
}
