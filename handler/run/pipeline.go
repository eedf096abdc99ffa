package run

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/batch"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/rules"
)

// moveAll moves ids into projectID in region, batch by batch (at most
// cvm.MaxInstancesPerCall): each batch is read, decided, moved, confirmed
// and restored on its own goroutine while later batches are read and
// moved, and each call waits only for its own action's rate. At most
// MaxConcurrency batches are between their read and their move at once,
// so a read is never much older than its move; they start in order.
func (x *exec) moveAll(ctx context.Context, region string, projectID int64, ids []string, skip bool) rules.Moved {
	chunks := slices.Collect(slices.Chunk(ids, cvm.MaxInstancesPerCall))
	outcomes := make([][]batch.Outcome, len(chunks))
	stage := make(chan struct{}, max(x.MaxConcurrency, 1))
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		stage <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			released := false
			release := func() {
				if !released {
					released = true
					<-stage
				}
			}
			defer release()
			defer func() {
				if p := recover(); p != nil {
					perr := &cvm.PanicError{Value: p, Stack: debug.Stack()}
					if x.inv.Panicked != nil {
						x.inv.Panicked(perr)
					}
					outcomes[i] = []batch.Outcome{{InstanceIds: chunk, Err: perr}}
				}
			}()
			if o, ok := x.batch(ctx, region, projectID, chunk, skip, release); ok {
				outcomes[i] = []batch.Outcome{o}
			}
		}()
	}
	wg.Wait()
	batches, failed, calls := answer.FromBatches(slices.Concat(outcomes...), x.inv.ID)
	var opFailed []answer.Failure
	x.mu.Lock()
	for _, f := range x.v.Failed {
		if slices.Contains(ids, f.InstanceId) {
			opFailed = append(opFailed, f)
		}
	}
	x.mu.Unlock()
	// An instance whose operation ended FAILED did not move: a rule says so
	// (the answer's top-level Failed lists it once).
	return rules.Moved{Batches: batches, Failed: append(failed, opFailed...), IsolationCalls: calls}
}

// batch takes one batch through read → decide → move → confirm → restore
// and calls moved once its move is done (or not needed). ok is false when
// nothing was sent.
func (x *exec) batch(ctx context.Context, region string, projectID int64, ids []string, skip bool, moved func()) (batch.Outcome, bool) {
	send := ids
	var before map[string]cvm.Instance
	if x.Verify.Enabled {
		if before = x.read(ctx, region, ids); before != nil {
			send = x.decide(before, projectID, ids)
		}
	}
	if len(send) == 0 {
		return batch.Outcome{}, false
	}
	o := batch.Move(ctx, x.CVM, x.inv.Keys, region, projectID, send, skip)
	moved()
	if before != nil {
		x.confirm(ctx, region, projectID, o.Operations(), before)
	}
	return o, true
}

// read returns the instances of ids in region as they are now: as the
// run's listing gave them, else read (one DescribeInstances call). It
// returns nil when the read failed (noted: the batch goes unverified); the
// ids not listed are noted NotFound.
func (x *exec) read(ctx context.Context, region string, ids []string) map[string]cvm.Instance {
	out := make(map[string]cvm.Instance, len(ids))
	var missing []string
	x.mu.Lock()
	for _, id := range ids {
		if in, ok := x.known[region+" "+id]; ok {
			out[id] = in
		} else {
			missing = append(missing, id)
		}
	}
	x.mu.Unlock()
	if len(missing) == 0 {
		return out
	}
	listed, reqIDs, err := listing.Instances(ctx, x.CVM, x.inv.Keys, region, listing.Query{InstanceIDs: missing})
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.firstRequestID == "" && len(reqIDs) > 0 {
		x.firstRequestID = reqIDs[0]
	}
	if err != nil {
		x.unverified("reading the instances before the move", err)
		return nil
	}
	for _, in := range listed {
		out[in.ID] = in
	}
	for _, id := range missing {
		if _, ok := out[id]; !ok && !slices.Contains(x.v.NotFound, id) {
			x.v.NotFound = append(x.v.NotFound, id)
		}
	}
	return out
}

// decide returns the ids to send: not those already in projectID with no
// operation under way (noted AlreadyInProject), nor those the read did not
// find (the API would refuse their whole batch). Pure but for the note.
func (x *exec) decide(before map[string]cvm.Instance, projectID int64, ids []string) []string {
	var send, already []string
	for _, id := range ids {
		in, ok := before[id]
		switch {
		case !ok:
		case in.ProjectID == projectID && in.LatestOperationState != cvm.OperationOperating:
			already = append(already, id)
		default:
			send = append(send, id)
		}
	}
	x.mu.Lock()
	x.v.AlreadyInProject = append(x.v.AlreadyInProject, already...)
	x.mu.Unlock()
	return send
}

// noteGroups notes the security groups of the instances of send that have
// some (a dry run's: what a move would detach).
func (x *exec) noteGroups(before map[string]cvm.Instance, send []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range send {
		if sgs := before[id].SecurityGroupIds; len(sgs) > 0 {
			x.v.SecurityGroups = append(x.v.SecurityGroups, answer.SecurityGroupChange{InstanceId: id, Before: slices.Clone(sgs)})
		}
	}
}

// unverified notes why moves were not verified (the first reason). x.mu
// is held.
func (x *exec) unverified(what string, err error) {
	if x.v.Unverified != "" {
		return
	}
	x.v.Unverified = fmt.Sprintf("%s: %s", what, answer.Plain(err))
	if cvm.Unauthorized(err) {
		x.v.Unverified = fmt.Sprintf("%s: DescribeInstances was refused (%s); the moves were sent but not verified: grant cvm:DescribeInstances", what, answer.Plain(err))
	}
}

// confirm waits for the operations ops started (batch.Wait, its first poll
// when the operation is expected to be done), notes how each instance
// ended and how its security groups changed, and associates again the
// groups a move detached (KEEP_SECURITY_GROUPS).
func (x *exec) confirm(ctx context.Context, region string, projectID int64, ops []batch.Operation, before map[string]cvm.Instance) {
	if len(ops) == 0 {
		return
	}
	requestOf := map[string]string{}
	var ids []string
	for _, op := range ops {
		for _, id := range op.InstanceIds {
			requestOf[id] = op.RequestID
			ids = append(ids, id)
		}
	}
	opts := x.Wait
	opts.First, opts.Probe = x.expected.Next()
	cf := batch.Wait(ctx, x.CVM, x.inv.Keys, region, ids, func(id string, in cvm.Instance, found bool) batch.State {
		return batch.Decide(in, found, requestOf[id], projectID)
	}, opts)
	x.expected.Observe(cf.Took, cf.Polls)

	var (
		confirmed     int
		failed        []answer.Failure
		pending, gone []string
		changed       []answer.SecurityGroupChange
	)
	for _, id := range ids {
		after := cf.Last[id]
		switch cf.States[id] {
		case batch.Succeeded:
			confirmed++
			if b := before[id].SecurityGroupIds; !sameSet(b, after.SecurityGroupIds) {
				changed = append(changed, answer.SecurityGroupChange{InstanceId: id, Before: nonNil(b), After: nonNil(after.SecurityGroupIds)})
			}
		case batch.Failed:
			failed = append(failed, answer.Failure{InstanceId: id, Code: answer.CodeOperationFailed,
				Message: fmt.Sprintf("the move was accepted (RequestId %s) but its operation ended FAILED; the instance is in project %d", requestOf[id], after.ProjectID)})
		case batch.Gone:
			gone = append(gone, id)
		default:
			if !cvm.Unauthorized(cf.Err) {
				pending = append(pending, id)
			}
		}
	}
	if x.Verify.KeepSecurityGroups {
		x.restore(ctx, region, changed)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if cf.Err != nil {
		x.unverified("confirming the moves", cf.Err)
	}
	x.v.Confirmed += confirmed
	x.v.Failed = append(x.v.Failed, failed...)
	x.v.Pending = append(x.v.Pending, pending...)
	x.v.NotFound = append(x.v.NotFound, gone...)
	x.v.SecurityGroups = append(x.v.SecurityGroups, changed...)
}

// restore associates again each instance's groups Before its move, one
// ModifyInstancesAttribute per set of instances that had the same groups.
// A failure is noted on each instance of the call; it does not undo the
// move.
func (x *exec) restore(ctx context.Context, region string, changes []answer.SecurityGroupChange) {
	var order []string
	groups := map[string][]int{}
	for i, c := range changes {
		if len(c.Before) == 0 {
			continue
		}
		key := strings.Join(slices.Sorted(slices.Values(c.Before)), ",")
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	for _, key := range order {
		idx := groups[key]
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = changes[i].InstanceId
		}
		var res cvm.Result
		err := ctx.Err()
		if err == nil {
			res, err = x.CVM.Call(ctx, x.inv.Keys, region, cvm.ModifyInstancesAttribute{InstanceIds: ids, SecurityGroups: changes[idx[0]].Before}, nil)
		} else {
			err = fmt.Errorf("%w: %w", cvm.ErrNotSent, err)
		}
		code, msg := answer.FromCall(res, err, x.inv.ID)
		for _, i := range idx {
			if code == answer.CodeSuccess {
				changes[i].Restored = true
			} else {
				changes[i].Code, changes[i].Message = code, msg
			}
		}
	}
}

// sameSet reports whether a and b hold the same groups, in any order.
func sameSet(a, b []string) bool {
	return len(a) == len(b) && slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
