package batch

import (
	"context"
	"fmt"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// Outcome is one ModifyInstancesProject call for InstanceIds (at most
// cvm.MaxInstancesPerCall): its cvm.Result, and Err when it did not move
// them (an *cvm.APIError, no usable answer, cvm.ErrNotSent, a
// *cvm.PanicError). Isolation is set when the batch was refused because of
// some of its instances and they were isolated.
type Outcome struct {
	InstanceIds []string
	cvm.Result
	Err       error
	Isolation *Isolation
}

// Moved reports whether the call moved every instance of the batch.
func (b Outcome) Moved() bool { return b.Err == nil }

// Isolation is what isolating the offending instances of a refused batch
// did, in the batch's order: the instances moved (and by which call), those
// that failed (with the call that says why), the calls it cost beyond the
// batch's own, and the outcome that stopped it early, if any.
type Isolation struct {
	Calls   int
	Moved   []string
	MovedBy map[string]string // instance → the RequestId of the call that moved it
	Failed  []InstanceFailure
	Stopped *Outcome
}

// InstanceFailure is an instance that did not move, with the call that
// says why.
type InstanceFailure struct {
	InstanceId string
	Outcome    Outcome
}

// Operations are the operations the batch started: one per call that
// moved some of its instances (the batch's own, or its isolation's).
func (b Outcome) Operations() []Operation {
	if b.Moved() {
		return []Operation{{RequestID: b.RequestID, InstanceIds: b.InstanceIds}}
	}
	if b.Isolation == nil {
		return nil
	}
	var ops []Operation
	index := map[string]int{}
	for _, id := range b.Isolation.Moved {
		reqID := b.Isolation.MovedBy[id]
		i, ok := index[reqID]
		if !ok {
			i = len(ops)
			index[reqID] = i
			ops = append(ops, Operation{RequestID: reqID})
		}
		ops[i].InstanceIds = append(ops[i].InstanceIds, id)
	}
	return ops
}

// Move makes one ModifyInstancesProject call for ids (at most
// cvm.MaxInstancesPerCall) through c, with its retries, rate and deadline
// rule; with skipInvalid, a refusal because of some of the instances
// (Isolatable) is followed by the isolation of those, so the others move.
func Move(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, projectID int64, ids []string, skipInvalid bool) Outcome {
	call := func(group []string) Outcome {
		b := Outcome{InstanceIds: group}
		if err := ctx.Err(); err != nil {
			b.Err = fmt.Errorf("%w: %w", cvm.ErrNotSent, err)
			return b
		}
		b.Result, b.Err = c.Call(ctx, keys, region, cvm.ModifyInstancesProject{InstanceIds: group, ProjectId: projectID}, nil)
		return b
	}
	b := call(ids)
	if skipInvalid && Isolatable(cvm.Code(b.Err)) {
		iso := newIsolation(call)
		iso.run(ids, b)
		b.Isolation = iso.result(ids)
	}
	return b
}
