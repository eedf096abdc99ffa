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
		put(indexedName("InstanceIds", instanceIDNames[:], base+i), id)
	}
	put("ProjectId", strconv.FormatInt(a.ProjectId, 10))
}

// instanceIDNames holds "InstanceIds.0" to "InstanceIds.100": every batch
// uses them, so they are built once.
var instanceIDNames = func() (names [MaxInstancesPerCall + 1]string) {
	for i := range names {
		names[i] = "InstanceIds." + strconv.Itoa(i)
	}
	return names
}()

// indexedName returns name.i, from names when it holds i.
func indexedName(name string, names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return name + "." + strconv.Itoa(i)
}
