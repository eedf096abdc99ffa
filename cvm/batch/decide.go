package batch

import (
	"slices"

	"scf-cvm-project/cvm"
)

// Step is what to do with an instance before a move, from what a read
// shows of it now (Next).
type Step int

// The steps.
const (
	Send      Step = iota // move it
	There                 // in the project, no move under way: not sent, whatever else runs on it
	WaitMove              // a ModifyInstancesProject under way (anyone's): wait, confirm, send again if it FAILED
	WaitOther             // another operation under way (RunInstances, StopInstances, ...): send once it ends
	Never                 // recycled, terminating, launch failed, isolated: never sent, permanent
	Absent                // not listed in its region
)

// The codes ModifyInstancesProject refuses with (the SDK's list for the
// action, tencentcloud-sdk-go cvm/v20170312 client.go) that Next and Busy
// use, and the state codes of CVM's common list for the other states.
const (
	CodeBusy              = "OperationDenied.InstanceOperationInProgress"
	CodeMutexTaskRunning  = "MutexOperation.TaskRunning"
	CodeStateIsolating    = "UnsupportedOperation.InstanceStateIsolating"
	CodeStateTerminating  = "UnsupportedOperation.InstanceStateTerminating"
	CodeStateLaunchFailed = "UnsupportedOperation.InstanceStateLaunchFailed"
)

// Next decides what to do with in (found false: the read did not list it)
// for a move to projectID, and the code of a Never. Pure. The states are
// DescribeInstances' InstanceState, RestrictState and IsolatedSource
// (CVM API, Instance data structure): SHUTDOWN is the recycle bin, an
// IsolatedSource other than NOTISOLATED or a PROTECTIVELY_ISOLATED
// RestrictState is isolated, and the API refuses a move of those
// (UnsupportedOperation.InstanceStateIsolating).
func Next(in cvm.Instance, found bool, projectID int64) (Step, string) {
	switch {
	case !found:
		return Absent, ""
	case in.Moving():
		return WaitMove, ""
	case in.ProjectID == projectID:
		return There, ""
	case in.State == "SHUTDOWN", in.RestrictState == "PROTECTIVELY_ISOLATED",
		in.IsolatedSource != "" && in.IsolatedSource != "NOTISOLATED":
		return Never, CodeStateIsolating
	case in.State == "TERMINATING":
		return Never, CodeStateTerminating
	case in.State == "LAUNCH_FAILED":
		return Never, CodeStateLaunchFailed
	case in.Busy():
		return WaitOther, ""
	}
	return Send, ""
}

// Busy reports whether code is a refusal that means "busy, try later" (not
// invalid): an operation under way on an instance the call names.
func Busy(code string) bool { return code == CodeBusy || code == CodeMutexTaskRunning }

// busyIn returns the instances of group a busy refusal is about: those its
// message names, else those busy says are, else all of group.
func busyIn(message string, group []string, busy func(id string) bool) []string {
	if named := namedIn(message, group); len(named) > 0 {
		return named
	}
	if busy != nil {
		if some := slices.DeleteFunc(slices.Clone(group), func(id string) bool { return !busy(id) }); len(some) > 0 {
			return some
		}
	}
	return slices.Clone(group)
}
