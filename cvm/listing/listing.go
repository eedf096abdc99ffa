package listing

import (
	"context"
	"errors"
	"fmt"
	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"slices"
	"strings"
)

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
	Tags                     []cvm.Tag
	SecurityGroupIds         []string
	LatestOperation          *string
	LatestOperationState     *string
	LatestOperationRequestId *string
}

func (d describedInstance) instance() cvm.Instance {
	return cvm.Instance{
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

// APIError is an upstream error code answered to a call that Instances
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

// Query says which instances Instances lists: those of InstanceIds
// (any number: asked MaxInstancesPerCall at a time), or those that every
// filter of Filters matches. Not both.
type Query struct {
	InstanceIDs []string
	Filters     []cvm.Filter
}

// ErrBadQuery is returned (wrapped) for a Query the API would refuse.
var ErrBadQuery = errors.New("cvm: bad DescribeInstances query")

// Instances calls DescribeInstances, with the keys that keys gives for
// each call, until every instance of q is
// listed: one call per MaxInstancesPerCall ids, or pages of PageSize until
// TotalCount. Each instance is listed once, in the order the API gave.
//
// It returns the RequestId of every call answered. On an error (the
// context's, no usable answer, or an *APIError) it returns the instances
// listed so far with it: the listing is then incomplete.
func Instances(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, q Query) ([]cvm.Instance, []string, error) {
	l := lister{c: c, keys: keys, region: region, seen: map[string]bool{}}
	switch {
	case len(q.InstanceIDs) > 0 && len(q.Filters) > 0:
		return nil, nil, fmt.Errorf("%w: InstanceIds and Filters cannot be given together", ErrBadQuery)
	case len(q.InstanceIDs) > 0:
		for ids := range slices.Chunk(q.InstanceIDs, cvm.MaxInstancesPerCall) {
			if err := l.pages(ctx, cvm.DescribeInstances{InstanceIds: ids, Limit: cvm.PageSize}); err != nil {
				return l.out, l.requestIDs, err
			}
		}
	case len(q.Filters) > 0:
		if err := l.pages(ctx, cvm.DescribeInstances{Filters: q.Filters, Limit: cvm.PageSize}); err != nil {
			return l.out, l.requestIDs, err
		}
	default:
		return nil, nil, fmt.Errorf("%w: give InstanceIds or Filters (this client never lists a whole region by accident)", ErrBadQuery)
	}
	return l.out, l.requestIDs, nil
}

// lister accumulates one Instances.
type lister struct {
	c          cvm.Caller
	keys       credentials.Provider
	region     string
	out        []cvm.Instance
	requestIDs []string
	seen       map[string]bool
}

// pages lists a from Offset 0 until TotalCount.
func (l *lister) pages(ctx context.Context, a cvm.DescribeInstances) error {
	a.Offset = 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("cvm: DescribeInstances at offset %d %w: %w", a.Offset, cvm.ErrNotSent, err)
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
				cvm.ErrBadResponse, a.Offset, page.TotalCount, res.RequestID)
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
