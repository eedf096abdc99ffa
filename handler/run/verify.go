package run

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/batch"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/handler/answer"
)

// verifier reads the instances of a run around their moves (VERIFY): before
// a move, the named instances (those already in the project are not sent;
// their security groups are noted); after it, the outcome of each
// operation (batch.Confirm); then, with KEEP_SECURITY_GROUPS, the groups a
// move detached are associated again. A rule run's listings are its reads
// before: note keeps them. It is safe for concurrent use.
type verifier struct {
	r *Runner

	mu             sync.Mutex
	v              answer.Verification
	known          map[string]cvm.Instance // region + " " + id → as last listed
	firstRequestID string                  // of the first read
	notFound       map[string]bool         // the ids of v.NotFound
}

func (r *Runner) newVerifier() *verifier {
	return &verifier{r: r, known: map[string]cvm.Instance{}, notFound: map[string]bool{}, v: answer.Verification{Enabled: r.Verify.Enabled}}
}

// attach adds what the verifier found to o.
func (vf *verifier) attach(o *answer.Outcome) {
	vf.mu.Lock()
	defer vf.mu.Unlock()
	if !vf.v.Enabled {
		return
	}
	v := vf.v
	o.Verification = &v
	if o.FirstRequestID == "" {
		o.FirstRequestID = vf.firstRequestID
	}
}

// note remembers the instances a listing of region gave, as the state
// before their moves.
func (vf *verifier) note(region string, listed []cvm.Instance) {
	vf.mu.Lock()
	defer vf.mu.Unlock()
	for _, in := range listed {
		vf.known[region+" "+in.ID] = in
	}
}

// unverified notes why the moves were not verified (the first reason).
func (vf *verifier) unverified(what string, err error) {
	why := fmt.Sprintf("%s: %s", what, answer.Plain(err)) // in words: no socket address
	if listing.Unauthorized(err) {
		why = fmt.Sprintf("%s: DescribeInstances was refused (%s); the moves were sent but not verified: grant cvm:DescribeInstances", what, answer.Plain(err))
	}
	vf.mu.Lock()
	defer vf.mu.Unlock()
	if vf.v.Unverified == "" {
		vf.v.Unverified = why
	}
}

// before returns the instances of ids in region as they are before the
// move: as a listing of the run gave them, else read now (DescribeInstances
// by id, 100 a call). ok is false when the read failed (noted: the moves go
// on unverified). The ids not listed are noted NotFound.
func (vf *verifier) before(ctx context.Context, region string, ids []string) (map[string]cvm.Instance, bool) {
	out := make(map[string]cvm.Instance, len(ids))
	var missing []string
	vf.mu.Lock()
	for _, id := range ids {
		if in, ok := vf.known[region+" "+id]; ok {
			out[id] = in
		} else {
			missing = append(missing, id)
		}
	}
	vf.mu.Unlock()
	if len(missing) == 0 {
		return out, true
	}
	listed, reqIDs, err := listing.Instances(ctx, vf.r.CVM, vf.r.Keys, region, listing.Query{InstanceIDs: missing})
	vf.mu.Lock()
	if vf.firstRequestID == "" && len(reqIDs) > 0 {
		vf.firstRequestID = reqIDs[0]
	}
	vf.mu.Unlock()
	if err != nil {
		vf.unverified("reading the instances before the move", err)
		return nil, false
	}
	for _, in := range listed {
		out[in.ID] = in
	}
	vf.mu.Lock()
	defer vf.mu.Unlock()
	for _, id := range missing {
		if _, ok := out[id]; !ok && !vf.notFound[id] {
			vf.notFound[id] = true
			vf.v.NotFound = append(vf.v.NotFound, id)
		}
	}
	return out, true
}

// plan splits ids into those to send, those already in projectID (and no
// operation under way), which it notes, and those the read did not find
// (noted NotFound by before): they are not sent, for the API would refuse
// their whole batch, and the others with them.
func (vf *verifier) plan(before map[string]cvm.Instance, projectID int64, ids []string) (send []string) {
	var already []string
	for _, id := range ids {
		in, ok := before[id]
		switch {
		case !ok:
			continue // not found in its region
		case in.ProjectID == projectID && in.LatestOperationState != cvm.OperationOperating:
			already = append(already, id)
			continue
		}
		send = append(send, id)
	}
	vf.mu.Lock()
	vf.v.AlreadyInProject = append(vf.v.AlreadyInProject, already...)
	vf.mu.Unlock()
	return send
}

// move moves ids into projectID in region as Runner.move does and, with
// VERIFY, reads them before (those already there are not sent) and
// confirms each operation after.
//
// opFailed are the instances of this call whose operation ended FAILED
// (noted in the verification too): a rule run reports them on their rules.
func (vf *verifier) move(ctx context.Context, region string, projectID int64, ids []string, skip bool) (batches []answer.Batch, failed []answer.Failure, calls int, opFailed []answer.Failure) {
	r := vf.r
	if !vf.v.Enabled {
		batches, failed, calls = r.move(ctx, region, projectID, ids, skip)
		return batches, failed, calls, nil
	}
	before, read := vf.before(ctx, region, ids)
	send := ids
	if read {
		send = vf.plan(before, projectID, ids)
	}
	if len(send) == 0 {
		return nil, nil, 0, nil
	}
	outcomes := r.sendMoves(ctx, region, projectID, send, skip)
	batches, failed, calls = answer.FromBatches(outcomes, r.InvocationID)
	if read {
		opFailed = vf.confirm(ctx, region, projectID, outcomes, before)
	}
	return batches, failed, calls, opFailed
}

// confirm waits for the operations the accepted batches started, notes
// how each ended, compares each moved instance's security groups before
// and after, and associates them again (KEEP_SECURITY_GROUPS).
func (vf *verifier) confirm(ctx context.Context, region string, projectID int64, outcomes []batch.Outcome, before map[string]cvm.Instance) []answer.Failure {
	var ops []batch.Operation
	for _, o := range outcomes {
		switch {
		case o.Moved():
			ops = append(ops, batch.Operation{RequestID: o.RequestID, InstanceIds: o.InstanceIds})
		case o.Isolation != nil:
			// moved by the isolation's calls: one operation per call
			index := map[string]int{}
			for _, id := range o.Isolation.Moved {
				reqID := o.Isolation.MovedBy[id]
				i, ok := index[reqID]
				if !ok {
					i = len(ops)
					index[reqID] = i
					ops = append(ops, batch.Operation{RequestID: reqID})
				}
				ops[i].InstanceIds = append(ops[i].InstanceIds, id)
			}
		}
	}
	if len(ops) == 0 {
		return nil
	}
	cf := batch.Confirm(ctx, vf.r.CVM, vf.r.Keys, region, projectID, ops, vf.r.Confirm)
	if cf.Err != nil {
		vf.unverified("confirming the moves", cf.Err)
	}
	var (
		confirmed int
		failed    []answer.Failure
		pending   []string
		changed   []answer.SecurityGroupChange
	)
	for _, op := range ops {
		for _, id := range op.InstanceIds {
			after := cf.Last[id]
			switch cf.States[id] {
			case batch.Succeeded:
				confirmed++
				if b := before[id].SecurityGroupIds; !sameSet(b, after.SecurityGroupIds) {
					changed = append(changed, answer.SecurityGroupChange{InstanceId: id, Before: nonNil(b), After: nonNil(after.SecurityGroupIds)})
				}
			case batch.Failed:
				failed = append(failed, answer.Failure{InstanceId: id, Code: answer.CodeOperationFailed,
					Message: fmt.Sprintf("the move was accepted (RequestId %s) but its operation ended FAILED; the instance is in project %d", op.RequestID, after.ProjectID)})
			default:
				if !listing.Unauthorized(cf.Err) {
					pending = append(pending, id)
				}
			}
		}
	}
	if vf.r.Verify.KeepSecurityGroups {
		vf.restore(ctx, region, changed)
	}
	vf.mu.Lock()
	defer vf.mu.Unlock()
	vf.v.Confirmed += confirmed
	vf.v.Failed = append(vf.v.Failed, failed...)
	vf.v.Pending = append(vf.v.Pending, pending...)
	vf.v.SecurityGroups = append(vf.v.SecurityGroups, changed...)
	return failed
}

// restore associates again each instance's groups Before its move, with one
// ModifyInstancesAttribute per 100 instances that had the same groups,
// through the client's call path. A failure is noted on each instance of
// the call; it does not undo the move.
func (vf *verifier) restore(ctx context.Context, region string, changes []answer.SecurityGroupChange) {
	var order []string
	groups := map[string][]int{}
	for i, c := range changes {
		if len(c.Before) == 0 {
			continue
		}
		sorted := slices.Sorted(slices.Values(c.Before))
		key := strings.Join(sorted, ",")
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	for _, key := range order {
		for chunk := range slices.Chunk(groups[key], cvm.MaxInstancesPerCall) {
			ids := make([]string, len(chunk))
			for j, i := range chunk {
				ids[j] = changes[i].InstanceId
			}
			var res cvm.Result
			var err error
			if err = ctx.Err(); err == nil {
				res, err = vf.r.CVM.Call(ctx, vf.r.Keys, region, cvm.ModifyInstancesAttribute{InstanceIds: ids, SecurityGroups: changes[chunk[0]].Before}, nil)
			} else {
				err = fmt.Errorf("%w: %w", cvm.ErrNotSent, err)
			}
			code, msg := answer.FromCall(res, err, vf.r.InvocationID)
			for _, i := range chunk {
				if code == answer.CodeSuccess {
					changes[i].Restored = true
				} else {
					changes[i].Code, changes[i].Message = code, msg
				}
			}
		}
	}
}

// dryRun reads the named instances (VERIFY), signs the moves of those not
// in projectID yet as Runner.dryRun does, and reports those already there
// and the security groups of those that would move; it sends no write.
func (vf *verifier) dryRun(ctx context.Context, region string, projectID int64, ids []string) answer.Outcome {
	if !vf.v.Enabled {
		return vf.r.dryRun(ctx, region, projectID, ids)
	}
	send := ids
	before, read := vf.before(ctx, region, ids)
	if read {
		send = vf.plan(before, projectID, ids)
		var groups []answer.SecurityGroupChange
		for _, id := range send {
			if sgs := before[id].SecurityGroupIds; len(sgs) > 0 {
				groups = append(groups, answer.SecurityGroupChange{InstanceId: id, Before: slices.Clone(sgs)})
			}
		}
		vf.mu.Lock()
		vf.v.SecurityGroups = append(vf.v.SecurityGroups, groups...)
		vf.mu.Unlock()
	}
	o := vf.r.dryRun(ctx, region, projectID, send)
	o.InstanceIds = ids
	return o
}

// sameSet reports whether a and b hold the same groups, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
