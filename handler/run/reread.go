package run

import (
	"context"
	"time"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/internal/retry"
)

// DefaultRereadDelays are the pauses before each new read of instances an
// event names that DescribeInstances does not list yet (an instance named
// right after RunInstances may not be): about 3 s in all.
var DefaultRereadDelays = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 1250 * time.Millisecond}

// rereadReserve is the time a read needs: none starts with less left.
const rereadReserve = time.Second

// listNamed lists q in region and, when q names instances of which some are
// not listed, reads those again after each of RereadDelays (or
// DefaultRereadDelays), while the deadline leaves time, until all are
// listed. A failed read again ends the reads; the instances it did not
// find stay unlisted.
func (r *Runner) listNamed(ctx context.Context, region string, q listing.Query) ([]cvm.Instance, []string, error) {
	listed, reqIDs, err := listing.Instances(ctx, r.CVM, r.Keys, region, q)
	if err != nil || len(q.InstanceIDs) == 0 {
		return listed, reqIDs, err
	}
	delays := r.RereadDelays
	if delays == nil {
		delays = DefaultRereadDelays
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = retry.Sleep
	}
	for _, d := range delays {
		found := make(map[string]bool, len(listed))
		for _, in := range listed {
			found[in.ID] = true
		}
		var missing []string
		for _, id := range q.InstanceIDs {
			if !found[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			break
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d+rereadReserve {
			break
		}
		if sleep(ctx, d) != nil {
			break
		}
		more, ids, err := listing.Instances(ctx, r.CVM, r.Keys, region, listing.Query{InstanceIDs: missing})
		reqIDs = append(reqIDs, ids...)
		listed = append(listed, more...)
		if err != nil {
			break
		}
	}
	return listed, reqIDs, nil
}
