package cvm

import (
	"context"
	"strconv"

	"scf-cvm-project/credentials"
)

// PageSize is the most instances one DescribeInstances call returns (its
// Limit's maximum); listing.Instances asks for full pages.
const PageSize = 100

// DescribeInstances lists instances, by InstanceIds (at most
// MaxInstancesPerCall) or by Filters (not both: the API refuses that),
// a page of Limit (at most PageSize) from Offset.
type DescribeInstances struct {
	InstanceIds []string `json:",omitempty"`
	Filters     []Filter `json:",omitempty"`
	Offset      int
	Limit       int
}

// Filter is one of DescribeInstances' Filters: an instance matches when
// the field Name holds any of Values (and every other filter matches too).
// The names used here are "tag:<key>" (the tag key holds one of the
// values), "tag-key" (the instance has one of the keys) and "project-id".
type Filter struct {
	Name   string
	Values []string
}

// TagFilter returns the filter for instances with the tag key, of any
// value when value is nil.
func TagFilter(key string, value *string) Filter {
	if value == nil {
		return Filter{Name: "tag-key", Values: []string{key}}
	}
	return Filter{Name: "tag:" + key, Values: []string{*value}}
}

func (DescribeInstances) ActionName() string { return "DescribeInstances" }

// Size is the number of instances asked for by id, else the page size.
func (a DescribeInstances) Size() int {
	if len(a.InstanceIds) > 0 {
		return len(a.InstanceIds)
	}
	return a.Limit
}

// PutV1Params flattens the lists as Filters.N.Name and Filters.N.Values.M,
// N and M both counted from base, like InstanceIds.N.
func (a DescribeInstances) PutV1Params(base int, put func(string, string)) {
	for i, id := range a.InstanceIds {
		put(indexedName("InstanceIds", instanceIDNames[:], base+i), id)
	}
	for i, f := range a.Filters {
		prefix := "Filters." + strconv.Itoa(base+i)
		put(prefix+".Name", f.Name)
		for j, v := range f.Values {
			put(prefix+".Values."+strconv.Itoa(base+j), v)
		}
	}
	put("Offset", strconv.Itoa(a.Offset))
	put("Limit", strconv.Itoa(a.Limit))
}

// Instance is what the function reads of one instance. The API gives
// SecurityGroupIds [] and the latest operation's fields null for an
// instance without them; absent, null and empty all read as empty here.
type Instance struct {
	ID        string
	ProjectID int64
	Tags      []Tag
	// SecurityGroupIds are the security groups the instance is bound to.
	SecurityGroupIds []string
	// LatestOperation is the action of the instance's latest operation
	// (e.g. "ModifyInstancesProject"), LatestOperationState its state
	// (OperationOperating, OperationSuccess, OperationFailed) and
	// LatestOperationRequestId the RequestId of the call that started it.
	LatestOperation          string
	LatestOperationState     string
	LatestOperationRequestId string
	// LatestOperationErrorMsg is why a FAILED operation failed.
	LatestOperationErrorMsg string
	// State is InstanceState (PENDING, RUNNING, STOPPED, SHUTDOWN,
	// TERMINATING, LAUNCH_FAILED, ...); RestrictState (NORMAL, EXPIRED,
	// PROTECTIVELY_ISOLATED) and IsolatedSource (NOTISOLATED, ARREAR,
	// EXPIRE, MANMADE, FLOW) say whether and why it is isolated. Absent
	// reads as empty: normal, not isolated.
	State, RestrictState, IsolatedSource string
}

// Busy reports whether an operation is under way on in.
func (in Instance) Busy() bool { return in.LatestOperationState == OperationOperating }

// Moving reports whether in's operation under way is a move of project.
func (in Instance) Moving() bool {
	return in.Busy() && in.LatestOperation == "ModifyInstancesProject"
}

// The states of an instance's latest operation (the API's Instance data
// structure, LatestOperationState).
const (
	OperationOperating = "OPERATING"
	OperationSuccess   = "SUCCESS"
	OperationFailed    = "FAILED"
)

// Tag is one of an instance's tags.
type Tag struct {
	Key, Value string
}

// Caller makes one signed call; *Client is one.
type Caller interface {
	Call(ctx context.Context, keys credentials.Provider, region string, action Action, out any) (Result, error)
}
