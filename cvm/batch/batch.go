package batch

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/internal/retry"
	"slices"
)

// Outcome is one ModifyInstancesProject call for InstanceIds (at most
// cvm.MaxInstancesPerCall): its cvm.Result, and Err, nil when it moved
// them all (else an *cvm.APIError, no usable answer, cvm.ErrNotSent, a
// *cvm.PanicError). Isolation is set when the batch was refused because of
// some of its instances and they were isolated.
type Outcome struct {
	InstanceIds []string
	cvm.Result
	Err error
	// Operations are those the batch started: its own call's when Err is
	// nil, else one per call of its isolation that moved some instances.
	Operations []Operation
	Isolation  *Isolation
	// SetAside are the instances of the batch that a "busy" refusal named
	// (Busy): not sent with the others, to be sent once idle.
	SetAside []string
}

// Operation is a ModifyInstancesProject call the API accepted: it starts an
// operation on each instance, whose outcome DescribeInstances tells
// (LatestOperationState for the call's LatestOperationRequestId).
type Operation struct {
	RequestID   string
	InstanceIds []string
}

// Isolation is what isolating the offending instances of a refused batch
// did, besides the operations it started (Outcome.Operations): the
// instances that failed, in the batch's order (with the call that says
// why), the calls it cost beyond the batch's own, and the outcome that
// stopped it early, if any.
type Isolation struct {
	Calls   int
	Failed  []InstanceFailure
	Stopped *Outcome
}

// InstanceFailure is an instance that did not move, with the call that
// says why.
type InstanceFailure struct {
	InstanceId string
	Outcome    Outcome
}

// Move makes one ModifyInstancesProject call for ids (at most
// cvm.MaxInstancesPerCall) through c. A Busy refusal sets aside the
// instances it is about (busyIn) and sends the rest at once; with
// skipInvalid, an Isolatable refusal isolates the offending instances so
// the others move. The outcome's InstanceIds are those of its last call.
func Move(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, projectID int64, ids []string, skipInvalid bool, busy func(id string) bool) Outcome {
	call := func(group []string) Outcome {
		b := Outcome{InstanceIds: group}
		if err := ctx.Err(); err != nil {
			b.Err = fmt.Errorf("%w: %w", cvm.ErrNotSent, err)
			return b
		}
		b.Result, b.Err = c.Call(ctx, keys, region, cvm.ModifyInstancesProject{InstanceIds: group, ProjectId: projectID}, nil)
		if b.Err == nil {
			b.Operations = []Operation{{RequestID: b.RequestID, InstanceIds: group}}
		}
		return b
	}
	b := call(ids)
	if b.Err == nil {
		return b // all moved at once, the usual case
	}
	var setAside []string
	for Busy(cvm.Code(b.Err)) {
		aside := busyIn(b.message(), b.InstanceIds, busy)
		setAside = append(setAside, aside...)
		ids = slices.DeleteFunc(slices.Clone(b.InstanceIds), func(id string) bool { return slices.Contains(aside, id) })
		if len(ids) == 0 {
			b = Outcome{}
			break
		}
		b = call(ids)
	}
	b.SetAside = setAside
	if skipInvalid && Isolatable(cvm.Code(b.Err)) {
		iso := newIsolation(call)
		iso.run(ids, b)
		b.Operations, b.Isolation = iso.result(ids)
	}
	return b
}

// The codes with which cvm.ModifyInstancesProject refuses a whole batch
// because of some of its instances: unknown, malformed, or bound to a load
// balancer (the API's error codes, cvm.ModifyInstancesProject page).
const (
	CodeInstanceNotFound     = "InvalidInstanceId.NotFound"
	CodeInstanceIDMalformed  = "InvalidInstanceId.Malformed"
	CodeInstanceNotSupported = "InvalidInstance.NotSupported"
)

// Isolatable reports whether the API refused a batch with code because of
// some of its instances, so that the others can move without them.
func Isolatable(code string) bool {
	return retry.InFamily(code, CodeInstanceNotFound, CodeInstanceIDMalformed, CodeInstanceNotSupported)
}

var instanceIDInMessage = regexp.MustCompile(`ins-[a-z0-9]{8}`)

// namedIn returns the ids of group that message names, in group's order:
// the API's refusals name the offending instances ("The instance ID
// ["ins-1a2b3c4d"] does not exist.").
func namedIn(message string, group []string) []string {
	found := instanceIDInMessage.FindAllString(message, -1)
	if len(found) == 0 {
		return nil
	}
	var named []string
	for _, id := range group {
		if slices.Contains(found, id) {
			named = append(named, id)
		}
	}
	return named
}

// isolation finds the offending instances of a batch refused as a whole
// and moves the others, through call only (one Outcome per group). A
// failing group drops the ids its refusal names and is called again, else
// is halved (when the first half moves, the second is known to fail); a
// non-isolatable outcome stops it, failing the ids not yet settled.
type isolation struct {
	call func(ids []string) Outcome

	calls   int                // calls made
	movedBy map[string]string  // ids that moved → the RequestId of the call that moved each
	failed  map[string]Outcome // ids that failed, with the outcome that says why
	stopped *Outcome           // the outcome that stopped the isolation, if any
}

func newIsolation(call func([]string) Outcome) *isolation {
	return &isolation{call: call, movedBy: map[string]string{}, failed: map[string]Outcome{}}
}

// run isolates the offending ids of batch, which failed as a whole with
// refusal (an isolatable code).
func (iso *isolation) run(batch []string, refusal Outcome) {
	iso.settle(batch, refusal)
	if iso.stopped == nil {
		return
	}
	for _, id := range batch {
		_, moved := iso.movedBy[id]
		if _, failed := iso.failed[id]; !moved && !failed {
			iso.fail([]string{id}, *iso.stopped)
		}
	}
}

// settle resolves group, known to fail with refusal.
func (iso *isolation) settle(group []string, refusal Outcome) {
	if iso.stopped != nil {
		return
	}
	if len(group) == 1 {
		iso.fail(group, refusal)
		return
	}
	if named := namedIn(refusal.message(), group); len(named) > 0 {
		iso.fail(named, refusal)
		iso.try(slices.DeleteFunc(slices.Clone(group), func(id string) bool { return slices.Contains(named, id) }))
		return
	}
	half := len(group) / 2
	if iso.try(group[:half]) {
		iso.settle(group[half:], refusal) // the refusal was the second half's
		return
	}
	iso.try(group[half:])
}

// try calls group and settles it by the outcome; it reports whether the
// whole group moved.
func (iso *isolation) try(group []string) bool {
	if len(group) == 0 {
		return true
	}
	if iso.stopped != nil {
		return false
	}
	b := iso.call(group)
	iso.calls++
	switch {
	case b.Err == nil:
		for _, id := range group {
			iso.movedBy[id] = b.RequestID
		}
		return true
	case Isolatable(cvm.Code(b.Err)):
		iso.settle(group, b)
	default:
		iso.stopped = &b
	}
	return false
}

func (iso *isolation) fail(ids []string, why Outcome) {
	for _, id := range ids {
		iso.failed[id] = why
	}
}

// result is what the isolation of batch found, in batch's order: the
// operations it started (one per call that moved a run of instances).
func (iso *isolation) result(batch []string) ([]Operation, *Isolation) {
	var ops []Operation
	r := &Isolation{Calls: iso.calls, Stopped: iso.stopped}
	for _, id := range batch {
		if reqID, moved := iso.movedBy[id]; moved {
			if len(ops) == 0 || ops[len(ops)-1].RequestID != reqID {
				ops = append(ops, Operation{RequestID: reqID})
			}
			ops[len(ops)-1].InstanceIds = append(ops[len(ops)-1].InstanceIds, id)
		} else if why, ok := iso.failed[id]; ok {
			r.Failed = append(r.Failed, InstanceFailure{InstanceId: id, Outcome: why})
		}
	}
	return ops, r
}

// message is the API's message of a refused call ("" otherwise).
func (b Outcome) message() string {
	var apiErr *cvm.APIError
	if errors.As(b.Err, &apiErr) {
		return apiErr.Message
	}
	return ""
}

// Step is what to do with an instance before a move, from what a read
// shows of it now (Next).
type Step int

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

// Next decides what to do with in (found false: not listed) for a move to
// projectID, with the code of a Never. Pure. SHUTDOWN (the recycle bin), an
// IsolatedSource other than NOTISOLATED and a PROTECTIVELY_ISOLATED
// RestrictState are isolated, which the API refuses to move (CVM API,
// Instance data structure).
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
