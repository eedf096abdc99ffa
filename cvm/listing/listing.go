package listing

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// ByIDConcurrency is how many DescribeInstances calls of a by-id Query
// are in flight at a time. The client's per-action rate still paces them.
const ByIDConcurrency = 4

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
// listed: one call per MaxInstancesPerCall ids, ByIDConcurrency of them
// at a time, or pages of PageSize until TotalCount, one after the other.
// Each instance is listed once, in the order the API gave (by id: chunk
// after chunk, in the order of q.InstanceIDs' chunks).
//
// It returns the RequestId of every call answered (by id: in chunk order).
// On an error (the context's, no usable answer, or an *APIError) it
// returns the instances listed so far with it: the listing is then
// incomplete. By id, that is what the chunks before the failed one listed
// and the failed chunk's part, with the first error in chunk order; the
// chunks after it are not started, and what those already started listed
// is dropped.
func Instances(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, q Query) ([]cvm.Instance, []string, error) {
	switch {
	case len(q.InstanceIDs) > 0 && len(q.Filters) > 0:
		return nil, nil, fmt.Errorf("%w: InstanceIds and Filters cannot be given together", ErrBadQuery)
	case len(q.InstanceIDs) > 0:
		return byID(ctx, c, keys, region, q.InstanceIDs)
	case len(q.Filters) > 0:
		l := lister{c: c, keys: keys, region: region, seen: map[string]bool{}}
		err := l.pages(ctx, cvm.DescribeInstances{Filters: q.Filters, Limit: cvm.PageSize})
		return l.out, l.requestIDs, err
	default:
		return nil, nil, fmt.Errorf("%w: give InstanceIds or Filters (this client never lists a whole region by accident)", ErrBadQuery)
	}
}

// byID lists ids one chunk of MaxInstancesPerCall a call, ByIDConcurrency
// chunks at a time, and gathers the chunks' answers in chunk order. A
// chunk's panic is panicked again in the caller's goroutine (as a
// *cvm.PanicError, with the chunk's stack), where its recover can reach it.
func byID(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, ids []string) ([]cvm.Instance, []string, error) {
	chunks := slices.Collect(slices.Chunk(ids, cvm.MaxInstancesPerCall))
	listers := make([]lister, len(chunks))
	for i := range listers {
		listers[i] = lister{c: c, keys: keys, region: region, seen: map[string]bool{}}
	}
	errs := make([]error, len(chunks))
	if len(chunks) == 1 { // a lone chunk needs no goroutine
		errs[0] = listers[0].pages(ctx, cvm.DescribeInstances{InstanceIds: chunks[0], Limit: cvm.PageSize})
		return listers[0].out, listers[0].requestIDs, errs[0]
	}
	panics := make([]*cvm.PanicError, len(chunks))
	// failedAt is the first chunk known to have failed (len(chunks): none).
	var failedAt atomic.Int64
	failedAt.Store(int64(len(chunks)))
	fail := func(i int) {
		for at := failedAt.Load(); int64(i) < at && !failedAt.CompareAndSwap(at, int64(i)); at = failedAt.Load() {
		}
	}
	var g errgroup.Group
	g.SetLimit(ByIDConcurrency)
	for i, chunk := range chunks {
		// What a chunk after a failed one would list is not returned: it
		// is not asked.
		if failedAt.Load() < int64(i) {
			break
		}
		g.Go(func() error {
			if failedAt.Load() < int64(i) {
				return nil
			}
			defer func() {
				if p := recover(); p != nil {
					panics[i] = &cvm.PanicError{Value: p, Stack: debug.Stack()}
					fail(i)
				}
			}()
			if errs[i] = listers[i].pages(ctx, cvm.DescribeInstances{InstanceIds: chunk, Limit: cvm.PageSize}); errs[i] != nil {
				fail(i)
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines return nil: their errors are in errs

	// A panic is a bug: it is not dropped, even after a failed chunk.
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}

	var out []cvm.Instance
	var requestIDs []string
	seen := map[string]bool{}
	for i := range chunks {
		requestIDs = append(requestIDs, listers[i].requestIDs...)
		for _, in := range listers[i].out {
			if !seen[in.ID] {
				seen[in.ID] = true
				out = append(out, in)
			}
		}
		if errs[i] != nil {
			return out, requestIDs, errs[i]
		}
	}
	return out, requestIDs, nil
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
