package emulator

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
)

// Limits and codes of ModifyInstancesAttribute (CVM API 3.0, version
// 2017-03-12, document 213/33246, and the CVM error codes): InstanceIds.N,
// at most 100, and SecurityGroups.N, the security groups that replace the
// instances' own ("you can associate with a security group by adding its
// ID, or cancel the association by removing its ID"), at most 5 per
// instance.
const (
	MaxSecurityGroups = 5 // security groups an instance may be bound to

	CodeSgIDMalformed          = "InvalidSgId.Malformed"                   // a security group ID not sg- and 8 lowercase letters or digits
	CodeSecurityGroupsExceeded = "LimitExceeded.AssociateUSGLimitExceeded" // more than MaxSecurityGroups
)

var securityGroupIDPattern = regexp.MustCompile(`^sg-[a-z0-9]{8}$`)

// readV1Attribute reads SecurityGroups.N (numbered as InstanceIds.N on the
// same endpoint) and notes InstanceName from a v1 request.
func readV1Attribute(q *request) {
	q.securityGroups, q.attributeErr = v1List(q.params, "SecurityGroups", "security group ID")
	q.sgSent = len(q.securityGroups) > 0
	_, q.instanceNameSent = q.params["InstanceName"]
}

// readTC3Attribute reads "SecurityGroups": [string] and notes
// "InstanceName" from a TC3 JSON body.
func readTC3Attribute(q *request) {
	if len(bytes.TrimSpace(q.body)) == 0 {
		return
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(q.body, &fields) != nil {
		return // tc3Params reports it
	}
	if raw, ok := fields["InstanceName"]; ok && !isNull(raw) {
		q.instanceNameSent = true
	}
	raw, ok := fields["SecurityGroups"]
	if !ok || isNull(raw) {
		return
	}
	q.sgSent = true
	if json.Unmarshal(raw, &q.securityGroups) != nil {
		q.securityGroups = nil
		q.attributeErr = errorf(CodeInvalidParameterValue, "The parameter `SecurityGroups` must be an array of strings, not %s.", jsonKind(raw))
	}
}

// attributeArgs are the checked parameters of one ModifyInstancesAttribute.
type attributeArgs struct {
	ids, securityGroups []string // securityGroups without repeats, in order
	region, requestID   string
}

// checkAttributeArgs checks the parameters of ModifyInstancesAttribute,
// without looking at the table: InstanceIds as ModifyInstancesProject's,
// then SecurityGroups (given, at most MaxSecurityGroups, each well formed).
// The emulator changes security groups only: an InstanceName is refused
// (UnsupportedOperation), as is the legacy endpoint's old, unversioned
// shape.
func checkAttributeArgs(q *request) (attributeArgs, *apiError) {
	if q.oldShape() {
		return attributeArgs{}, errorf(CodeMissingParameter, "The request names no `Version`: the emulator answers %s in version %s only.", ActionModifyAttribute, Version)
	}
	if err := firstErr(q.paramErr, q.attributeErr); err != nil {
		return attributeArgs{}, err
	}
	if err := checkIDs(q.ids); err != nil {
		return attributeArgs{}, err
	}
	if q.instanceNameSent {
		return attributeArgs{}, errorf(CodeUnsupportedOperation, "The emulator's %s changes `SecurityGroups` only, not `InstanceName`.", ActionModifyAttribute)
	}
	if !q.sgSent || len(q.securityGroups) == 0 {
		return attributeArgs{}, missing("SecurityGroups")
	}
	var sgs []string
	for _, sg := range q.securityGroups {
		if !securityGroupIDPattern.MatchString(sg) {
			return attributeArgs{}, errorf(CodeSgIDMalformed, "The security group ID %q is malformed: a security group ID is sg- followed by 8 lowercase letters or digits.", sg)
		}
		if !slices.Contains(sgs, sg) {
			sgs = append(sgs, sg)
		}
	}
	if len(sgs) > MaxSecurityGroups {
		return attributeArgs{}, errorf(CodeSecurityGroupsExceeded, "The parameter `SecurityGroups` has %d security groups; an instance can be bound to at most %d.", len(sgs), MaxSecurityGroups)
	}
	return attributeArgs{ids: q.ids, securityGroups: sgs, region: q.region, requestID: q.requestID}, nil
}

// modifyAttribute replaces the security groups of every instance of a, or
// of none: it fails when any is unknown or in another region
// (InvalidInstanceId.NotFound) or has an operation in progress
// (OperationDenied.InstanceOperationInProgress). The change is itself an
// operation that ends at once: LatestOperation ModifyInstancesAttribute,
// SUCCESS, with the call's RequestId.
func (e *Emulator) modifyAttribute(a attributeArgs) *apiError {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle()
	if err := e.findInstances(a.ids, a.region, ActionModifyAttribute); err != nil {
		return err
	}
	for _, id := range a.ids {
		in := e.instances[id]
		in.SecurityGroupIDs = slices.Clone(a.securityGroups)
		in.LatestOperation, in.LatestOperationState, in.LatestOperationRequestID = ActionModifyAttribute, OperationSuccess, a.requestID
		in.LatestOperationErrorMsg = ""
		e.instances[id] = in
	}
	return nil
}

// SetSecurityGroups replaces the security groups of the instance id, as
// binding them in the console would; it reports whether the instance is
// in the table.
func (e *Emulator) SetSecurityGroups(id string, sgs ...string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if ok {
		in.SecurityGroupIDs = slices.Clone(sgs)
		e.instances[id] = in
	}
	return ok
}
