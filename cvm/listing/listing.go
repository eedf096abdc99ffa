package listing

import (
	"context"
	"errors"
	"fmt"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"slices"
)

// describeAnswer is the part of DescribeInstances' Response that is read.
type describeAnswer struct {
	TotalCount  int
	InstanceSet []describedInstance
}

// describedInstance is an InstanceSet item: the instance, and the
// project it is in.
type describedInstance struct {
	cvm.Instance
	Placement struct {
		ProjectId int64
	}
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

// Instances lists q through DescribeInstances: by id, MaxInstancesPerCall
// a call; by filters, pages of PageSize until TotalCount. Each instance
// comes once, in the API's order, with the RequestId of every call answered.
// On an error (ctx's, no usable answer, an *APIError) it returns what was
// listed so far with it.
func Instances(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, q Query) ([]cvm.Instance, []string, error) {
	var asks []cvm.DescribeInstances
	switch {
	case len(q.InstanceIDs) > 0 && len(q.Filters) > 0:
		return nil, nil, fmt.Errorf("%w: InstanceIds and Filters cannot be given together", ErrBadQuery)
	case len(q.InstanceIDs) > 0:
		for chunk := range slices.Chunk(q.InstanceIDs, cvm.MaxInstancesPerCall) {
			asks = append(asks, cvm.DescribeInstances{InstanceIds: chunk, Limit: cvm.PageSize})
		}
	case len(q.Filters) > 0:
		asks = []cvm.DescribeInstances{{Filters: q.Filters, Limit: cvm.PageSize}}
	default:
		return nil, nil, fmt.Errorf("%w: give InstanceIds or Filters (this client never lists a whole region by accident)", ErrBadQuery)
	}
	var (
		out        []cvm.Instance
		requestIDs []string
		seen       = map[string]bool{}
	)
	for _, a := range asks { // each from Offset 0 until its TotalCount
		for {
			if err := ctx.Err(); err != nil {
				return out, requestIDs, fmt.Errorf("cvm: DescribeInstances at offset %d %w: %w", a.Offset, cvm.ErrNotSent, err)
			}
			var page describeAnswer
			res, err := c.Call(ctx, keys, region, a, &page)
			if res.RequestID != "" {
				requestIDs = append(requestIDs, res.RequestID)
			}
			if err != nil {
				return out, requestIDs, fmt.Errorf("DescribeInstances at offset %d: %w", a.Offset, err)
			}
			for _, in := range page.InstanceSet {
				if in.ID == "" || seen[in.ID] {
					continue
				}
				seen[in.ID] = true
				in.ProjectID = in.Placement.ProjectId
				out = append(out, in.Instance)
			}
			a.Offset += len(page.InstanceSet)
			if a.Offset >= page.TotalCount {
				break
			}
			if len(page.InstanceSet) == 0 {
				return out, requestIDs, fmt.Errorf("%w: DescribeInstances gave an empty page at offset %d of TotalCount %d (RequestId %s)",
					cvm.ErrBadResponse, a.Offset, page.TotalCount, res.RequestID)
			}
		}
	}
	return out, requestIDs, nil
}
