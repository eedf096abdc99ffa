package emulator

import "time"

// InstanceState values, as the Instance data structure's InstanceState
// gives them (CVM API 3.0, version 2017-03-12, Data Types, Instance and
// InstanceStatus; the instance status table, document 213/15753):
// creating, creation failed, running, shut down, starting, shutting down,
// restarting, "shut down and to be terminated" (the recycle bin),
// terminating.
const (
	StatePending      = "PENDING"
	StateLaunchFailed = "LAUNCH_FAILED"
	StateRunning      = "RUNNING"
	StateStopped      = "STOPPED"
	StateStarting     = "STARTING"
	StateStopping     = "STOPPING"
	StateRebooting    = "REBOOTING"
	StateShutdown     = "SHUTDOWN"
	StateTerminating  = "TERMINATING"
)

// RestrictState values (Instance data structure, RestrictState: "instance
// business status"): normal, expired, protectively isolated.
const (
	RestrictNormal               = "NORMAL"
	RestrictExpired              = "EXPIRED"
	RestrictProtectivelyIsolated = "PROTECTIVELY_ISOLATED"
)

// IsolatedSource values (Instance data structure, IsolatedSource:
// "instance isolation type"): isolated for arrears, on expiry, by its
// owner (returned: the recycle bin), not isolated.
const (
	IsolatedArrear  = "ARREAR"
	IsolatedExpire  = "EXPIRE"
	IsolatedManmade = "MANMADE"
	IsolatedNot     = "NOTISOLATED"
)

// The codes ModifyInstancesProject answers for an instance's state. The
// list of the codes ModifyInstancesProject may return (its page, CVM API
// 3.0, document 213/15746, and the SDK, tencentcloud-sdk-go cvm/v20170312
// client.go: InternalServerError, InvalidInstance.NotSupported,
// InvalidInstanceId.Malformed and .NotFound, InvalidParameterValue(.
// InstanceIdMalformed, .LimitExceeded), InvalidProjectId.NotFound,
// MissingParameter, MutexOperation.TaskRunning,
// OperationDenied.InstanceOperationInProgress,
// UnsupportedOperation.InstanceStateIsolating) gives, of the state codes,
// only UnsupportedOperation.InstanceStateIsolating ("Unable to
// isolate: the instance is isolated", CVM error codes). The other two are
// from CVM's common list of error codes ("The instance is failed to
// create, so the operation is not supported"; "The instance is being
// terminated, and the operation is not supported") and are NOT in
// ModifyInstancesProject's list: the documentation does not say what
// ModifyInstancesProject answers for a launch-failed instance or a
// terminating one without an operation under way; SetStateRefusal changes
// them.
const (
	CodeStateIsolating    = "UnsupportedOperation.InstanceStateIsolating"
	CodeStateLaunchFailed = "UnsupportedOperation.InstanceStateLaunchFailed"
	CodeStateTerminating  = "UnsupportedOperation.InstanceStateTerminating"
)

// stateRules is, per InstanceState, the code a move of an instance in it
// is refused with ("" or absent: accepted); guarded by Emulator.mu.
type stateRules struct {
	refusal map[string]string // nil: defaultStateRefusals
}

// defaultStateRefusals: a recycled or isolated instance (SHUTDOWN, and any
// instance isolated, see isolated) is refused InstanceStateIsolating,
// as ModifyInstancesProject's list gives; LAUNCH_FAILED and TERMINATING
// (without an operation: with one, the refusal is the operation's) get
// CVM's codes for those states, an assumption (see the codes above). The
// transitional states (PENDING, STARTING, STOPPING, REBOOTING) come with
// an operation under way (StartOperation), which is refused first with
// OperationDenied.InstanceOperationInProgress; set alone (SetState), the
// emulator accepts them, the documentation being silent.
func defaultStateRefusals() map[string]string {
	return map[string]string{
		StateShutdown:     CodeStateIsolating,
		StateLaunchFailed: CodeStateLaunchFailed,
		StateTerminating:  CodeStateTerminating,
	}
}

// SetStateRefusal makes a move of an instance in the InstanceState state
// (StateShutdown also stands for any isolated instance) be refused with
// code; "" accepts it. See defaultStateRefusals for the defaults.
func (e *Emulator) SetStateRefusal(state, code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.states.refusal == nil {
		e.states.refusal = defaultStateRefusals()
	}
	e.states.refusal[state] = code
}

// stateRefusal returns the code a move of in is refused with, "" for none.
// The caller holds e.mu.
func (e *Emulator) stateRefusal(in Instance) string {
	rules := e.states.refusal
	if rules == nil {
		rules = defaultStateRefusals()
	}
	if isolated(in) {
		return rules[StateShutdown]
	}
	return rules[in.State]
}

// isolated reports whether in is in the recycle bin or isolated: SHUTDOWN
// ("shut down and to be terminated"), an IsolatedSource other than
// NOTISOLATED, or RestrictState PROTECTIVELY_ISOLATED (Instance data
// structure). An EXPIRED RestrictState alone is not: the documentation
// does not tie it to a state.
func isolated(in Instance) bool {
	return in.State == StateShutdown ||
		in.IsolatedSource != "" && in.IsolatedSource != IsolatedNot ||
		in.RestrictState == RestrictProtectivelyIsolated
}

// instanceState is in's InstanceState as DescribeInstances gives it.
func instanceState(in Instance) string {
	if in.State == "" {
		return StateRunning
	}
	return in.State
}

// Modify calls f with the instance id, as the emulator's owner would
// change it in the console, and keeps what f leaves; it reports whether
// the instance is in the table. Operations under way are settled first.
// f must not call the Emulator.
func (e *Emulator) Modify(id string, f func(*Instance)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle()
	in, ok := e.instances[id]
	if !ok {
		return false
	}
	in = in.clone()
	f(&in)
	in.ID = id
	e.instances[id] = in.clone()
	return true
}

// SetState sets the InstanceState of the instance id (StatePending, ...)
// and reports whether it is in the table. It starts no operation: see
// StartOperation for a state that comes with one.
func (e *Emulator) SetState(id, state string) bool {
	return e.Modify(id, func(in *Instance) { in.State = state })
}

// SetRestrictState sets the RestrictState of the instance id (RestrictNormal, ...).
func (e *Emulator) SetRestrictState(id, state string) bool {
	return e.Modify(id, func(in *Instance) { in.RestrictState = state })
}

// Isolate puts the instance id in the recycle bin or isolates it:
// InstanceState SHUTDOWN ("shut down and to be terminated") and
// IsolatedSource source (IsolatedManmade: returned by its owner;
// IsolatedExpire; IsolatedArrear). Its moves are then refused
// UnsupportedOperation.InstanceStateIsolating.
func (e *Emulator) Isolate(id, source string) bool {
	return e.Modify(id, func(in *Instance) { in.State, in.IsolatedSource = StateShutdown, source })
}

// Recycle puts the instance id in the recycle bin, as its owner's
// TerminateInstances does for an instance that goes there: Isolate(id,
// IsolatedManmade).
func (e *Emulator) Recycle(id string) bool { return e.Isolate(id, IsolatedManmade) }

// LaunchFail makes the instance id one whose creation failed: InstanceState
// LAUNCH_FAILED and its latest operation RunInstances FAILED with a new
// RequestId and msg as LatestOperationErrorMsg. It returns that RequestId
// and whether the instance is in the table.
func (e *Emulator) LaunchFail(id, msg string) (requestID string, ok bool) {
	requestID = newRequestID()
	ok = e.Modify(id, func(in *Instance) {
		in.State = StateLaunchFailed
		in.LatestOperation, in.LatestOperationState, in.LatestOperationRequestID = ActionRunInstances, OperationFailed, requestID
		in.LatestOperationErrorMsg = msg
	})
	if ok {
		e.mu.Lock()
		delete(e.ops.pending, id)
		e.mu.Unlock()
	}
	return requestID, ok
}

// Terminate starts the termination of the instance id by someone else:
// TerminateInstances OPERATING, InstanceState TERMINATING, for d on the
// emulator's clock; then the instance is gone from the table (listings
// leave it out, calls naming it get InvalidInstanceId.NotFound). It
// returns the operation's RequestId; see StartOperation.
func (e *Emulator) Terminate(id string, d time.Duration) (requestID string, ok bool) {
	return e.StartOperation(id, ActionTerminateInstances, d)
}

// The actions of other people's operations the emulator knows the
// states of (each action's page, CVM API 3.0).
const (
	ActionRunInstances       = "RunInstances"
	ActionStartInstances     = "StartInstances"
	ActionStopInstances      = "StopInstances"
	ActionRebootInstances    = "RebootInstances"
	ActionTerminateInstances = "TerminateInstances"
)

// transition is the InstanceState an operation puts an instance in while
// it runs, and when it ends SUCCESS; "" leaves the state as it was.
type transition struct{ during, after string }

// transitions follow the InstanceState values' meanings: RunInstances
// creates (PENDING, then RUNNING), StartInstances starts (STARTING, then
// RUNNING), StopInstances shuts down (STOPPING, then STOPPED),
// RebootInstances restarts (REBOOTING, then RUNNING), TerminateInstances
// terminates (TERMINATING, then gone). Another action (ResetInstance,
// ModifyInstancesAttribute, ...) leaves the state alone. An operation that
// ends FAILED puts back the state it found, but RunInstances, whose
// failure is LAUNCH_FAILED; the documentation does not say what state a
// failed StopInstances (or other) leaves.
var transitions = map[string]transition{
	ActionRunInstances:       {StatePending, StateRunning},
	ActionStartInstances:     {StateStarting, StateRunning},
	ActionStopInstances:      {StateStopping, StateStopped},
	ActionRebootInstances:    {StateRebooting, StateRunning},
	ActionTerminateInstances: {StateTerminating, ""},
}

// StartOperation starts, on the instance id, an operation of someone else
// (action, like "StopInstances") with its own RequestId, which it
// returns: LatestOperation action, LatestOperationState OPERATING and the
// InstanceState the action runs in (transitions) for d on the emulator's
// clock, then SUCCESS and the state it ends in (TerminateInstances: the
// instance is gone). Meanwhile moves naming the instance are refused
// OperationDenied.InstanceOperationInProgress. It fails (false) when the
// instance is not in the table or already has an operation under way, as
// the API would refuse the second one. d ≤ 0 ends it at the next read.
func (e *Emulator) StartOperation(id, action string, d time.Duration) (requestID string, ok bool) {
	return e.startOperation(id, action, d, "")
}

// StartFailingOperation is StartOperation for an operation that ends
// FAILED with errMsg as its LatestOperationErrorMsg.
func (e *Emulator) StartFailingOperation(id, action string, d time.Duration, errMsg string) (requestID string, ok bool) {
	if errMsg == "" {
		errMsg = "The operation " + action + " failed (StartFailingOperation)."
	}
	return e.startOperation(id, action, d, errMsg)
}

func (e *Emulator) startOperation(id, action string, d time.Duration, failMsg string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle()
	in, ok := e.instances[id]
	if !ok || e.inProgress(id) {
		return "", false
	}
	requestID := newRequestID()
	t := transitions[action]
	op := pendingOp{ends: e.now().Add(max(d, 0)), action: action, failMsg: failMsg, before: in.State}
	if t.during != "" {
		in.State = t.during
	}
	in.LatestOperation, in.LatestOperationState, in.LatestOperationRequestID = action, OperationOperating, requestID
	in.LatestOperationErrorMsg = ""
	e.instances[id] = in
	e.ops.pending[id] = op
	return requestID, true
}

// endOther ends an operation other than a move, as settle finds it due.
// It reports whether the instance stays in the table.
func endOther(in *Instance, op pendingOp) bool {
	t := transitions[op.action]
	if op.failMsg != "" {
		in.LatestOperationState, in.LatestOperationErrorMsg = OperationFailed, op.failMsg
		in.State = op.before
		if op.action == ActionRunInstances {
			in.State = StateLaunchFailed
		}
		return true
	}
	in.LatestOperationState = OperationSuccess
	if op.action == ActionTerminateInstances {
		return false
	}
	if t.after != "" {
		in.State = t.after
	}
	return true
}
