package emulator

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
)

var instanceIDPattern = regexp.MustCompile(`^ins-[a-z0-9]{8}$`)

// modifyArgs are the checked parameters of one ModifyInstancesProject.
type modifyArgs struct {
	ids       []string
	project   int64
	region    string // the request's Region: it sees only that region's instances
	requestID string // the call's, for LatestOperationRequestId
}

// checkArgs checks the parameters of ModifyInstancesProject in the API's
// order, without looking at the table.
func checkArgs(q *request) (modifyArgs, *apiError) {
	if q.paramErr != nil {
		return modifyArgs{}, q.paramErr
	}
	if err := checkIDs(q.ids); err != nil {
		return modifyArgs{}, err
	}
	if !q.projectSent {
		return modifyArgs{}, missing("ProjectId")
	}
	project, ok := parseProjectID(q.projectID)
	if !ok {
		return modifyArgs{}, errorf(CodeInvalidParameterValue, "The parameter `ProjectId` value %s is invalid: it must be a non-negative integer.", strconv.Quote(q.projectID))
	}
	return modifyArgs{ids: q.ids, project: project, region: q.region, requestID: q.requestID}, nil
}

// checkIDs checks the InstanceIds of an action that changes instances:
// 1 to MaxInstanceIDs, each ins- and 8 lowercase letters or digits.
func checkIDs(ids []string) *apiError {
	switch {
	case len(ids) == 0:
		return missing("InstanceIds")
	case len(ids) > MaxInstanceIDs:
		return errorf(CodeLimitExceeded, "The parameter `InstanceIds` has %d instance IDs; at most %d are allowed per request.", len(ids), MaxInstanceIDs)
	}
	for _, id := range ids {
		if !instanceIDPattern.MatchString(id) {
			return errorf(CodeMalformed, "The instance ID %q is malformed: an instance ID is ins- followed by 8 lowercase letters or digits.", id)
		}
	}
	return nil
}

// parseProjectID accepts only decimal digits that fit an int64.
func parseProjectID(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// move starts the move of every instance of a to its project, or of none
// (operations.go). It refuses, in this order (the documentation gives the
// codes, in ModifyInstancesProject's list, but not their order):
//
//   - a project that does not exist, once AddProjects has set the
//     account's projects (InvalidProjectId.NotFound, "the specified project
//     ID does not exist"); project 0, the default project, always exists;
//   - an instance unknown or in another region (InvalidInstanceId.NotFound);
//   - an instance with an operation in progress, its own or anyone's
//     (OperationDenied.InstanceOperationInProgress, or
//     MutexOperation.TaskRunning under SetMutexTaskRunning);
//   - an instance whose state refuses moves (states.go: recycled or
//     isolated: UnsupportedOperation.InstanceStateIsolating; launch failed;
//     terminating);
//   - an instance bound to a load balancer (InvalidInstance.NotSupported).
//
// Each refusal names every instance it is about, as a JSON list, unless
// SetTerseMessages.
func (e *Emulator) move(a modifyArgs) *apiError {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle()
	if err := e.checkProject(a.project); err != nil {
		return err
	}
	if err := e.findInstances(a.ids, a.region, Action); err != nil {
		return err
	}
	if err := e.refuseStates(a.ids); err != nil {
		return err
	}
	var balanced []string
	for _, id := range a.ids {
		if e.instances[id].LoadBalanced && !slices.Contains(balanced, id) {
			balanced = append(balanced, id)
		}
	}
	switch {
	case len(balanced) > 0 && e.faults.terse:
		return errorf(CodeNotSupported, "An instance in the request is bound to a load balancer (CLB) and cannot change project.")
	case len(balanced) > 0:
		return errorf(CodeNotSupported, "The instance %s is bound to a load balancer (CLB) and cannot change project.", jsonList(balanced))
	}
	now := e.now()
	for _, id := range a.ids {
		e.startMove(id, a.project, a.requestID, now)
	}
	e.settle() // a move of no duration ends now
	return nil
}

// refuseStates answers the code of the first instance of ids (in their
// order) whose state refuses a move, naming every instance of ids refused
// with that code. The caller holds e.mu.
func (e *Emulator) refuseStates(ids []string) *apiError {
	var code string
	var named []string
	for _, id := range ids {
		in := e.instances[id]
		c := e.stateRefusal(in)
		if c == "" || code != "" && c != code || slices.Contains(named, id) {
			continue
		}
		code = c
		named = append(named, id)
	}
	if code == "" {
		return nil
	}
	state := instanceState(e.instances[named[0]])
	if e.faults.terse {
		return errorf(code, "An instance in the request is in state %s and cannot change project.", state)
	}
	if code == CodeStateIsolating {
		return errorf(code, "The instance %s is isolated (in the recycle bin) and cannot change project.", jsonList(named))
	}
	return errorf(code, "The instance %s is in state %s and cannot change project.", jsonList(named), state)
}

// findInstances answers InvalidInstanceId.NotFound when an instance of ids
// is not in the table or not in region, else
// OperationDenied.InstanceOperationInProgress when one has an operation
// in progress (MutexOperation.TaskRunning, under SetMutexTaskRunning, when
// action is a move and each busy one's operation is a move too). The
// caller holds e.mu and has settled.
func (e *Emulator) findInstances(ids []string, region, action string) *apiError {
	var unknown, busy []string
	identical := true
	for _, id := range ids {
		in, ok := e.instances[id]
		switch {
		case (!ok || !visible(in, region)) && !slices.Contains(unknown, id):
			unknown = append(unknown, id)
		case ok && visible(in, region) && e.inProgress(id) && !slices.Contains(busy, id):
			busy = append(busy, id)
			identical = identical && e.ops.pending[id].action == Action
		}
	}
	code := CodeOperationInProgress
	if e.ops.mutex && action == Action && identical {
		code = CodeMutexTaskRunning
	}
	switch {
	case len(unknown) > 0 && e.faults.terse:
		return errorf(CodeNotFound, "An instance ID in the request does not exist.")
	case len(unknown) > 0:
		return errorf(CodeNotFound, "The instance ID %s does not exist.", jsonList(unknown))
	case len(busy) > 0 && code == CodeMutexTaskRunning && e.faults.terse:
		return errorf(code, "An identical job is running on an instance in the request; try again later.")
	case len(busy) > 0 && code == CodeMutexTaskRunning:
		return errorf(code, "An identical job is running on the instance %s; try again later.", jsonList(busy))
	case len(busy) > 0 && e.faults.terse:
		return errorf(code, "An instance in the request has an operation in progress; try again later.")
	case len(busy) > 0:
		return errorf(code, "The instance %s has an operation in progress; try again later.", jsonList(busy))
	}
	return nil
}

// jsonList writes ids as the API's messages do: ["ins-1","ins-2"].
func jsonList(ids []string) string {
	b, _ := json.Marshal(ids) // a []string always marshals
	return string(b)
}
