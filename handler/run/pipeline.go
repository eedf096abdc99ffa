package run

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/batch"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/rules"
)

// moveAll moves ids into projectID in region in batches of
// cvm.MaxInstancesPerCall, each on its own goroutine (see batch), started in
// order and admitted by x.stage, so that a read is never much older than its move.
func (x *exec) moveAll(ctx context.Context, region string, projectID int64, ids []string, skip bool) rules.Moved {
	chunks := slices.Collect(slices.Chunk(ids, cvm.MaxInstancesPerCall))
	outcomes := make([][]batch.Outcome, len(chunks))
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		x.stage <- struct{}{}
		wg.Go(func() {
			release := sync.OnceFunc(func() { <-x.stage })
			defer release()
			defer func() {
				if p := recover(); p != nil {
					perr := &cvm.PanicError{Value: p, Stack: debug.Stack()}
					x.inv.Panicked(perr)
					outcomes[i] = []batch.Outcome{{InstanceIds: chunk, Err: perr}}
				}
			}()
			outcomes[i] = x.batch(ctx, region, projectID, chunk, skip, release)
		})
	}
	wg.Wait()
	batches, failed, calls := answer.FromBatches(slices.Concat(outcomes...), x.inv.ID)
	var opFailed []answer.Failure
	x.mu.Lock()
	named := make(map[string]bool, len(ids))
	for _, id := range ids {
		named[id] = true
	}
	for _, f := range slices.Concat(x.v.Failed, x.v.Never, x.v.NotSent) {
		if named[f.InstanceId] {
			opFailed = append(opFailed, f)
		}
	}
	x.mu.Unlock()
	// An instance whose operation ended FAILED, that can never move or that
	// stayed busy did not move: a rule says so (the answer's top-level
	// Failed lists it once).
	return rules.Moved{Batches: batches, Failed: append(failed, opFailed...), IsolationCalls: calls}
}

// batch takes one batch through read → decide → move → confirm → restore,
// calling moved once its first move is done or not needed. Instances busy
// with an operation are read again until it ends, then sent, within the
// deadline; those still busy are noted. It returns each move call's outcome.
func (x *exec) batch(ctx context.Context, region string, projectID int64, ids []string, skip bool, moved func()) []batch.Outcome {
	send, waiting := ids, []string(nil)
	var before map[string]cvm.Instance
	if x.Verify.Enabled {
		if before = x.read(ctx, region, ids); before != nil {
			var there []string
			send, waiting, there = x.decide(before, projectID, ids)
			defer x.restoreRecorded(ctx, region, before, there) // moved by an earlier invocation: finish its restore
		}
	}
	var outs []batch.Outcome
	busy := func(id string) bool { return before[id].Busy() }
	move := func(send []string) {
		if x.Tags != nil && x.Verify.KeepSecurityGroups {
			send = x.record(ctx, region, before, send)
		}
		if len(send) == 0 {
			return
		}
		o := batch.Move(ctx, x.CVM, x.inv.Keys, region, projectID, send, skip, busy)
		waiting = append(waiting, o.SetAside...)
		if len(o.InstanceIds) > 0 {
			outs = append(outs, o)
		}
	}
	move(send)
	moved()
	for len(waiting) > 0 && ctx.Err() == nil {
		idle := x.untilIdle(ctx, region, waiting)
		if len(idle) == 0 {
			break
		}
		if before == nil {
			before = map[string]cvm.Instance{} // VERIFY=false: only what the reads of busy instances gave
		}
		for id, in := range idle {
			before[id] = in
		}
		waiting = slices.DeleteFunc(waiting, func(id string) bool { _, ok := idle[id]; return ok })
		again, still, there := x.decide(idle, projectID, slices.Sorted(maps.Keys(idle)))
		x.restoreRecorded(ctx, region, idle, there)
		waiting = append(waiting, still...)
		move(again)
	}
	// Those still busy when the answer was due (not gone): a move under way
	// (anyone's) is Pending, as one of the function's own would be (202:
	// come back); another operation kept them from being sent (NotSent,
	// 503). Both are unfinished work.
	x.mu.Lock()
	for _, id := range waiting {
		switch in := before[id]; {
		case x.notFound[id]:
		case in.Moving():
			x.v.Pending = append(x.v.Pending, id)
		default:
			x.v.NotSent = append(x.v.NotSent, answer.Failure{InstanceId: id, Code: batch.CodeBusy,
				Message: fmt.Sprintf("not sent: busy with %s (RequestId %s) until the answer was due; try again later", cmp.Or(in.LatestOperation, "an operation"), cmp.Or(in.LatestOperationRequestId, "an operation"))})
		}
	}
	x.mu.Unlock()
	if x.Verify.Enabled && before != nil {
		x.confirm(ctx, region, projectID, outs, before)
	}
	return outs
}

// untilIdle reads ids again (the waiter) until the operations under way on
// them end, or the deadline comes; it returns the instances now idle (and
// those gone, as absent from the map but noted NotFound).
func (x *exec) untilIdle(ctx context.Context, region string, ids []string) map[string]cvm.Instance {
	cf := batch.Wait(ctx, x.CVM, x.inv.Keys, region, ids, func(_ string, in cvm.Instance, found bool) batch.State {
		switch {
		case !found:
			return batch.Gone
		case in.Busy():
			return batch.Pending
		}
		return batch.Succeeded
	}, idleWait)
	idle := map[string]cvm.Instance{}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		switch cf.States[id] {
		case batch.Succeeded:
			idle[id] = cf.Last[id]
		case batch.Gone:
			x.noteNotFound(id)
		}
	}
	if cf.Err != nil {
		x.unverified("reading busy instances again", cf.Err)
	}
	return idle
}

// read returns the instances of ids in region as they are now: as the
// run's listing gave them, else read (one DescribeInstances call). It
// returns nil when the read failed (noted: the batch goes unverified).
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
	// The read only makes the answer more precise: it may take a third of
	// the time left, never the move's.
	rctx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		rctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/3))
		defer cancel()
	}
	listed, reqIDs, err := listing.Instances(rctx, x.CVM, x.inv.Keys, region, listing.Query{InstanceIDs: missing})
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.firstRequestID == "" && len(reqIDs) > 0 {
		x.firstRequestID = reqIDs[0]
	}
	if err != nil {
		x.unverified("reading the instances before the move (the moves were sent unverified)", err)
		return nil
	}
	for _, in := range listed {
		out[in.ID] = in
	}
	return out
}

// decide sorts ids by what the read shows (batch.Next) into those to send
// and to wait for (an operation under way), and notes those already in
// projectID, not found (the API would refuse their whole batch), and never
// movable (recycled, terminating, ...: Failed with their own code).
func (x *exec) decide(before map[string]cvm.Instance, projectID int64, ids []string) (send, wait, already []string) {
	var absent []string
	var never []answer.Failure
	for _, id := range ids {
		in, found := before[id]
		step, code := batch.Next(in, found, projectID)
		switch step {
		case batch.Send:
			send = append(send, id)
		case batch.There:
			already = append(already, id)
		case batch.WaitMove, batch.WaitOther:
			wait = append(wait, id)
		case batch.Never:
			never = append(never, answer.Failure{InstanceId: id, Code: code,
				Message: fmt.Sprintf("never sent: the instance is %s (InstanceState %s, RestrictState %s, IsolatedSource %s)", stateWords(code), cmp.Or(in.State, "-"), cmp.Or(in.RestrictState, "-"), cmp.Or(in.IsolatedSource, "-"))})
		case batch.Absent:
			absent = append(absent, id)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.v.AlreadyInProject = append(x.v.AlreadyInProject, already...)
	x.v.Never = append(x.v.Never, never...)
	for _, id := range absent {
		x.noteNotFound(id)
	}
	return send, wait, already
}

func stateWords(code string) string {
	switch code {
	case batch.CodeStateTerminating:
		return "being terminated"
	case batch.CodeStateLaunchFailed:
		return "one whose launch failed"
	}
	return "in the recycle bin or isolated"
}

// noteGroups notes, for a dry run, the security groups of the instances
// of send that have some (what a move would detach, and the records
// KEEP_SECURITY_GROUPS would write), and the restores it would finish for
// those of there that carry a record.
func (x *exec) noteGroups(before map[string]cvm.Instance, send, there []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range send {
		if sgs := before[id].SecurityGroupIds; len(sgs) > 0 {
			x.v.SecurityGroups = append(x.v.SecurityGroups, answer.SecurityGroupChange{InstanceId: id, Before: slices.Clone(sgs)})
		}
	}
	for _, id := range there {
		if rec, ok := recordOf(before[id]); ok && x.Verify.KeepSecurityGroups {
			x.v.SecurityGroups = append(x.v.SecurityGroups, answer.SecurityGroupChange{InstanceId: id, Before: rec, After: nonNil(before[id].SecurityGroupIds)})
		}
	}
}

// noteNotFound notes id NotFound, once (a set: 100,000 of them must not
// cost 100,000² comparisons). x.mu is held.
func (x *exec) noteNotFound(id string) {
	if !x.notFound[id] {
		x.notFound[id] = true
		x.v.NotFound = append(x.v.NotFound, id)
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

// confirm waits for the operations outs started (batch.Wait), notes how each
// instance ended and how its security groups changed, and finishes the
// records (KEEP_SECURITY_GROUPS) of those moved, then of those refused.
func (x *exec) confirm(ctx context.Context, region string, projectID int64, outs []batch.Outcome, before map[string]cvm.Instance) {
	requestOf := map[string]string{}
	var ids, refused []string
	for _, o := range outs {
		for _, op := range o.Operations {
			for _, id := range op.InstanceIds {
				requestOf[id] = op.RequestID
				ids = append(ids, id)
			}
		}
	}
	for _, o := range outs {
		for _, id := range o.InstanceIds {
			if _, moved := requestOf[id]; !moved {
				refused = append(refused, id)
			}
		}
	}
	// A record written for a move the API refused: the groups are still
	// there, and the record goes (compare-and-set finds them equal). Last,
	// as the moved ones' restores are.
	defer x.restoreRecorded(ctx, region, before, refused)
	if len(ids) == 0 {
		return
	}
	opts := x.Wait
	opts.First, opts.Probe = x.expected.Next()
	cf := batch.Wait(ctx, x.CVM, x.inv.Keys, region, ids, func(id string, in cvm.Instance, found bool) batch.State {
		return batch.Decide(in, found, requestOf[id], projectID)
	}, opts)
	x.expected.Observe(cf.Took, cf.Polls)

	var (
		confirmed               int
		failed                  []answer.Failure
		pending, gone, recorded []string
		changed                 []answer.SecurityGroupChange
	)
	for _, id := range ids {
		after := cf.Last[id]
		switch cf.States[id] {
		case batch.Succeeded:
			confirmed++
			if _, has := recordOf(after); has && x.Tags != nil {
				recorded = append(recorded, id) // restoreRecorded finishes and reports it
				break
			}
			if b := before[id].SecurityGroupIds; !sameSet(b, after.SecurityGroupIds) {
				changed = append(changed, answer.SecurityGroupChange{InstanceId: id, Before: b, After: nonNil(after.SecurityGroupIds)})
			}
		case batch.Failed:
			why := ""
			if after.LatestOperationErrorMsg != "" {
				why = " (" + after.LatestOperationErrorMsg + ")"
			}
			failed = append(failed, answer.Failure{InstanceId: id, Code: answer.CodeOperationFailed,
				Message: fmt.Sprintf("the move was accepted (RequestId %s) but its operation ended FAILED%s; the instance is in project %d", requestOf[id], why, after.ProjectID)})
		case batch.Gone:
			gone = append(gone, id)
		default:
			if !cvm.Unauthorized(cf.Err) {
				pending = append(pending, id)
			}
		}
	}
	if x.Tags != nil {
		if x.Verify.KeepSecurityGroups {
			changed = nil // the records say what to restore, and restoreRecorded reports it
		}
		x.restoreRecorded(ctx, region, cf.Last, recorded)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if cf.Err != nil {
		x.unverified("confirming the moves", cf.Err)
	}
	x.v.Confirmed += confirmed
	x.v.Failed = append(x.v.Failed, failed...)
	x.v.Pending = append(x.v.Pending, pending...)
	for _, id := range gone {
		x.noteNotFound(id)
	}
	x.v.SecurityGroups = append(x.v.SecurityGroups, changed...)
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
