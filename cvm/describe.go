package cvm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"scf-cvm-project/credentials"
)

// PageSize is the most instances one DescribeInstances call returns (its
// Limit's maximum); ListInstances asks for full pages.
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

// describeAnswer is the part of DescribeInstances' Response that is read.
type describeAnswer struct {
	TotalCount  int
	InstanceSet []describedInstance
}

// describedInstance is the part of an InstanceSet item that is read.
type describedInstance struct {
	InstanceId string
	Placement  struct {
		ProjectId int64
	}
	Tags                     []Tag
	SecurityGroupIds         []string
	LatestOperation          *string
	LatestOperationState     *string
	LatestOperationRequestId *string
}

func (d describedInstance) instance() Instance {
	return Instance{
		ID: d.InstanceId, ProjectID: d.Placement.ProjectId, Tags: d.Tags,
		SecurityGroupIds:         d.SecurityGroupIds,
		LatestOperation:          deref(d.LatestOperation),
		LatestOperationState:     deref(d.LatestOperationState),
		LatestOperationRequestId: deref(d.LatestOperationRequestId),
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Caller makes one signed call; *Client is one.
type Caller interface {
	Call(ctx context.Context, keys credentials.Provider, region string, action Action, out any) (Result, error)
}

// APIError is an upstream error code answered to a call that ListInstances
// made. Check it with errors.As.
type APIError struct {
	Action    string
	RequestID string
	Code      string
	Message   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("cvm: %s answered %s: %s (RequestId %s)", e.Action, e.Code, e.Message, e.RequestID)
}

// Query says which instances ListInstances lists: those of InstanceIds
// (any number: asked MaxInstancesPerCall at a time), or those that every
// filter of Filters matches. Not both.
type Query struct {
	InstanceIDs []string
	Filters     []Filter
}

// ErrBadQuery is returned (wrapped) for a Query the API would refuse.
var ErrBadQuery = errors.New("cvm: bad DescribeInstances query")

// ListInstances calls DescribeInstances, with the keys that keys gives for
// each call, until every instance of q is
// listed: one call per MaxInstancesPerCall ids, or pages of PageSize until
// TotalCount. Each instance is listed once, in the order the API gave.
//
// It returns the RequestId of every call answered. On an error (the
// context's, no usable answer, or an *APIError) it returns the instances
// listed so far with it: the listing is then incomplete.
func ListInstances(ctx context.Context, c Caller, keys credentials.Provider, region string, q Query) ([]Instance, []string, error) {
	l := lister{c: c, keys: keys, region: region, seen: map[string]bool{}}
	switch {
	case len(q.InstanceIDs) > 0 && len(q.Filters) > 0:
		return nil, nil, fmt.Errorf("%w: InstanceIds and Filters cannot be given together", ErrBadQuery)
	case len(q.InstanceIDs) > 0:
		for ids := range slices.Chunk(q.InstanceIDs, MaxInstancesPerCall) {
			if err := l.pages(ctx, DescribeInstances{InstanceIds: ids, Limit: PageSize}); err != nil {
				return l.out, l.requestIDs, err
			}
		}
	case len(q.Filters) > 0:
		if err := l.pages(ctx, DescribeInstances{Filters: q.Filters, Limit: PageSize}); err != nil {
			return l.out, l.requestIDs, err
		}
	default:
		return nil, nil, fmt.Errorf("%w: give InstanceIds or Filters (this client never lists a whole region by accident)", ErrBadQuery)
	}
	return l.out, l.requestIDs, nil
}

// lister accumulates one ListInstances.
type lister struct {
	c          Caller
	keys       credentials.Provider
	region     string
	out        []Instance
	requestIDs []string
	seen       map[string]bool
}

// pages lists a from Offset 0 until TotalCount.
func (l *lister) pages(ctx context.Context, a DescribeInstances) error {
	a.Offset = 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("cvm: DescribeInstances at offset %d %w: %w", a.Offset, ErrNotSent, err)
		}
		var page describeAnswer
		res, err := l.c.Call(ctx, l.keys, l.region, a, &page)
		if res.RequestID != "" {
			l.requestIDs = append(l.requestIDs, res.RequestID)
		}
		if err != nil {
			return fmt.Errorf("cvm: DescribeInstances at offset %d: %w", a.Offset, err)
		}
		if res.Code != "" {
			return &APIError{Action: a.ActionName(), RequestID: res.RequestID, Code: res.Code, Message: res.Message}
		}
		for _, in := range page.InstanceSet {
			if in.InstanceId == "" || l.seen[in.InstanceId] {
				continue
			}
			l.seen[in.InstanceId] = true
			l.out = append(l.out, in.instance())
		}
		a.Offset += len(page.InstanceSet)
		if a.Offset >= page.TotalCount {
			return nil
		}
		if len(page.InstanceSet) == 0 {
			return fmt.Errorf("%w: DescribeInstances gave an empty page at offset %d of TotalCount %d (RequestId %s)",
				ErrBadResponse, a.Offset, page.TotalCount, res.RequestID)
		}
	}
}

// Unauthorized reports whether err is the API's refusal of an action the
// keys have no permission for (AuthFailure.UnauthorizedOperation, or
// UnauthorizedOperation and its sub-codes).
func Unauthorized(err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	c := apiErr.Code
	return c == "AuthFailure.UnauthorizedOperation" || c == "UnauthorizedOperation" || strings.HasPrefix(c, "UnauthorizedOperation.")
}
