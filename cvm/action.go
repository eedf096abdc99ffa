package cvm

import "strconv"

// Version is the CVM API version every action here speaks.
const Version = "2017-03-12"

// MaxInstancesPerCall is the API's limit of InstanceIds.N in one request.
const MaxInstancesPerCall = 100

// Action is one API action's name and parameters. Its JSON encoding is the
// TC3 payload; PutV1Params writes the same parameters flattened for v1, with
// list indexes starting at base.
type Action interface {
	ActionName() string
	PutV1Params(base int, put func(name, value string))
	// Size is the number of instances the call touches, for the log line.
	Size() int
}

// ModifyInstancesProject moves instances into a project.
type ModifyInstancesProject struct {
	InstanceIds []string
	ProjectId   int64
}

func (ModifyInstancesProject) ActionName() string { return "ModifyInstancesProject" }

func (a ModifyInstancesProject) Size() int { return len(a.InstanceIds) }

func (a ModifyInstancesProject) PutV1Params(base int, put func(string, string)) {
	for i, id := range a.InstanceIds {
		put("InstanceIds."+strconv.Itoa(base+i), id)
	}
	put("ProjectId", strconv.FormatInt(a.ProjectId, 10))
}
