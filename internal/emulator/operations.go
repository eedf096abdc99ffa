package emulator

import (
	"slices"
	"time"
)

// The states of an instance's latest operation, as the Instance data
// structure's LatestOperationState gives them (CVM API 3.0, Data Types,
// Instance): in progress, succeeded, failed. ModifyInstancesProject's page
// says to call DescribeInstances and read LatestOperationState: SUCCESS
// means the move is done.
const (
	OperationOperating = "OPERATING"
	OperationSuccess   = "SUCCESS"
	OperationFailed    = "FAILED"
)

// CodeMutexTaskRunning is answered instead of CodeOperationInProgress
// under SetMutexTaskRunning.
const CodeMutexTaskRunning = "MutexOperation.TaskRunning"

// CodeOperationInProgress is answered for an instance whose latest
// operation is still OPERATING, by ModifyInstancesProject and
// ModifyInstancesAttribute alike (CVM error codes: "the instance has an
// operation in progress. Please try again later").
const CodeOperationInProgress = "OperationDenied.InstanceOperationInProgress"

// operations is the state of moves under way, guarded by Emulator.mu.
// Nothing runs in the background: every read of the table settles, on the
// emulator's clock, the moves whose time has come (settle).
type operations struct {
	duration time.Duration        // how long a move stays OPERATING; 0: it ends at once
	detachSG bool                 // a successful move unbinds the security groups
	pending  map[string]pendingOp // by instance ID: operations still OPERATING when last settled
	mutex    bool                 // SetMutexTaskRunning
	// groupsOnEnd: by instance ID, the security groups someone else binds
	// while its next move runs (ChangeGroupsDuringMove).
	groupsOnEnd map[string][]string
}

// pendingOp is one instance's operation under way: a move
// (ModifyInstancesProject) or someone else's (states.go).
type pendingOp struct {
	ends    time.Time
	action  string // "" or Action: a move
	project int64  // a move's target

	failMsg string // another operation: it ends FAILED with this message when not ""
	before  string // another operation: the InstanceState it found
}

// SetMutexTaskRunning makes a ModifyInstancesProject naming an instance
// whose own move (a ModifyInstancesProject) is still OPERATING be refused
// MutexOperation.TaskRunning ("An identical job is running", CVM error
// codes; in ModifyInstancesProject's list) rather than
// OperationDenied.InstanceOperationInProgress, which other operations
// still get. The documentation does not say when the API answers one or
// the other; off by default.
func (e *Emulator) SetMutexTaskRunning(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.mutex = on
}

// FailMoveWith makes every move of the instance id end FAILED, its project
// unchanged, with msg as LatestOperationErrorMsg, and reports whether the
// instance is in the table. What the API writes there is not documented
// beyond "latest operation errors of the instance".
func (e *Emulator) FailMoveWith(id, msg string) bool {
	return e.Modify(id, func(in *Instance) { in.FailMove, in.FailMoveMessage = true, msg })
}

// SetOperationDuration makes every ModifyInstancesProject accepted from now
// on leave its instances' LatestOperationState OPERATING for d on the
// emulator's clock (SetClock), then SUCCESS with the new project, or FAILED
// with the old one for an instance with FailMove. Meanwhile the instance
// keeps its old project and any ModifyInstancesProject or
// ModifyInstancesAttribute naming it is refused with
// OperationDenied.InstanceOperationInProgress. d ≤ 0 (the default) ends
// each move as it is accepted.
func (e *Emulator) SetOperationDuration(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.duration = max(d, 0)
}

// SetDetachSecurityGroupsOnMove makes a move that ends SUCCESS unbind the
// instance's security groups (SecurityGroupIDs empty), as the legacy
// ModifyInstancesProject page documents ("the security groups originally
// associated with the instances are automatically disassociated when the
// project of the instances is modified"; rebind them with
// ModifyInstancesAttribute). Off by default: moves keep them.
func (e *Emulator) SetDetachSecurityGroupsOnMove(detach bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.detachSG = detach
}

// SetFailMove sets the FailMove of the instance id, for the moves accepted
// from now on, and reports whether the instance is in the table.
func (e *Emulator) SetFailMove(id string, fail bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if ok {
		in.FailMove = fail
		e.instances[id] = in
	}
	return ok
}

// ChangeGroupsDuringMove makes the next move of the instance id that ends
// SUCCESS leave sgs bound (nil: none), after SetDetachSecurityGroupsOnMove
// has unbound the instance's own, as if someone else had bound them while
// the move ran; it reports whether the instance is in the table. To change
// groups at any other moment, call SetSecurityGroups (or Modify), e.g.
// from OnCall when the client's call of your choice arrives.
func (e *Emulator) ChangeGroupsDuringMove(id string, sgs ...string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.instances[id]; !ok {
		return false
	}
	if e.ops.groupsOnEnd == nil {
		e.ops.groupsOnEnd = map[string][]string{}
	}
	e.ops.groupsOnEnd[id] = slices.Clone(sgs)
	return true
}

// startMove starts the move of the instance id to project, by the call
// requestID. The caller holds e.mu and settles afterwards.
func (e *Emulator) startMove(id string, project int64, requestID string, now time.Time) {
	in := e.instances[id]
	in.LatestOperation, in.LatestOperationState, in.LatestOperationRequestID = Action, OperationOperating, requestID
	in.LatestOperationErrorMsg = ""
	e.instances[id] = in
	e.ops.pending[id] = pendingOp{ends: now.Add(e.ops.duration), action: Action, project: project}
}

// inProgress reports whether the instance id has an operation OPERATING.
// The caller holds e.mu and has settled.
func (e *Emulator) inProgress(id string) bool {
	_, ok := e.ops.pending[id]
	return ok
}

// settle ends the operations whose time has come on the emulator's clock.
// A move ends SUCCESS with the new project (and no security groups under
// SetDetachSecurityGroupsOnMove), or FAILED for an instance with FailMove,
// with its LatestOperationErrorMsg; another operation ends as endOther
// says (a terminated instance leaves the table). The caller holds e.mu.
func (e *Emulator) settle() {
	if len(e.ops.pending) == 0 {
		return
	}
	now := e.now()
	for id, m := range e.ops.pending {
		if now.Before(m.ends) {
			continue
		}
		delete(e.ops.pending, id)
		in, ok := e.instances[id]
		if !ok {
			continue
		}
		if m.action != Action {
			if !endOther(&in, m) {
				delete(e.instances, id)
				continue
			}
			e.instances[id] = in
			continue
		}
		if in.FailMove {
			in.LatestOperationState = OperationFailed
			in.LatestOperationErrorMsg = in.FailMoveMessage
			if in.LatestOperationErrorMsg == "" {
				in.LatestOperationErrorMsg = "The emulator fails this move (FailMove)."
			}
		} else {
			in.LatestOperationState = OperationSuccess
			in.ProjectID = m.project
			if e.ops.detachSG {
				in.SecurityGroupIDs = nil
			}
			if sgs, ok := e.ops.groupsOnEnd[id]; ok {
				in.SecurityGroupIDs = sgs
				delete(e.ops.groupsOnEnd, id)
			}
		}
		e.instances[id] = in
	}
}
