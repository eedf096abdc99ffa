package batch

import (
	"context"
	"errors"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/internal/retry"
)

// Operation is a ModifyInstancesProject call the API accepted: it only
// starts an operation on each of its instances, whose outcome
// DescribeInstances tells (the instance's LatestOperationState for the
// LatestOperationRequestId of the call).
type Operation struct {
	RequestID   string
	InstanceIds []string
}

// State is where an instance's move stands.
type State int

// The states of a move, as Decide reads them.
const (
	Pending   State = iota // still OPERATING, or not read yet
	Succeeded              // SUCCESS: the instance is in the project
	Failed                 // FAILED: the instance stayed where it was
)

func (s State) String() string {
	switch s {
	case Succeeded:
		return "Succeeded"
	case Failed:
		return "Failed"
	}
	return "Pending"
}

// Decide says where the move of in to projectID by the call requestID
// stands: its operation's state when in's latest operation is that call's;
// else Succeeded when in is in projectID and no operation is under way
// (the API reported no operation, or a later one replaced ours); else
// Pending. It is pure.
func Decide(in cvm.Instance, requestID string, projectID int64) State {
	if requestID != "" && in.LatestOperationRequestId == requestID {
		switch in.LatestOperationState {
		case cvm.OperationSuccess:
			return Succeeded
		case cvm.OperationFailed:
			return Failed
		}
		return Pending
	}
	if in.ProjectID == projectID && in.LatestOperationState != cvm.OperationOperating {
		return Succeeded
	}
	return Pending
}

// ConfirmOptions shape Confirm. The zero value polls after 200 ms, then
// doubles the pause up to 2 s, and starts no poll with less than 1 s left
// before the context's deadline.
type ConfirmOptions struct {
	MinDelay, MaxDelay time.Duration
	// Reserve is the time a poll needs: none starts with less left.
	Reserve time.Duration
	// Clock and Sleep time the polls; tests replace them.
	Clock func() time.Time
	Sleep func(context.Context, time.Duration) error
}

func (o ConfirmOptions) withDefaults() ConfirmOptions {
	if o.MinDelay <= 0 {
		o.MinDelay = 200 * time.Millisecond
	}
	if o.MaxDelay < o.MinDelay {
		o.MaxDelay = max(2*time.Second, o.MinDelay)
	}
	if o.Reserve <= 0 {
		o.Reserve = time.Second
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	return o
}

// Confirmation is what Confirm found: each instance's State, what the last
// read gave of it (its project, security groups and operation), the
// DescribeInstances calls it made, and the error that stopped the polling
// early (nil when every operation ended, or when the deadline came first:
// the instances still Pending say so).
type Confirmation struct {
	States     map[string]State
	Last       map[string]cvm.Instance
	Calls      int
	RequestIDs []string
	Err        error
}

// Pending returns the instances of ops still Pending, in ops' order.
func (cf Confirmation) Pending(ops []Operation) []string {
	var out []string
	for _, op := range ops {
		for _, id := range op.InstanceIds {
			if cf.States[id] == Pending {
				out = append(out, id)
			}
		}
	}
	return out
}

// Confirm waits, like an SDK's waiter, for the operations ops started in
// region to end: it lists their pending instances by id (listing.Instances,
// 100 a call, through c with keys) after a pause that doubles from
// MinDelay to MaxDelay, until every instance is decided (Decide) or no
// further poll fits before ctx's deadline less Reserve. An error of a
// listing other than the deadline's stops it, in Err.
func Confirm(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, projectID int64, ops []Operation, opts ConfirmOptions) Confirmation {
	opts = opts.withDefaults()
	cf := Confirmation{States: map[string]State{}, Last: map[string]cvm.Instance{}}
	requestOf := map[string]string{}
	var pending []string
	for _, op := range ops {
		for _, id := range op.InstanceIds {
			if _, dup := requestOf[id]; !dup {
				requestOf[id] = op.RequestID
				pending = append(pending, id)
				cf.States[id] = Pending
			}
		}
	}
	delay := opts.MinDelay
	for len(pending) > 0 {
		if d, ok := ctx.Deadline(); ok && opts.Clock().Add(delay+opts.Reserve).After(d) {
			return cf
		}
		if err := opts.Sleep(ctx, delay); err != nil {
			return cf
		}
		listed, reqIDs, err := listing.Instances(ctx, c, keys, region, listing.Query{InstanceIDs: pending})
		cf.Calls += len(reqIDs)
		cf.RequestIDs = append(cf.RequestIDs, reqIDs...)
		for _, in := range listed {
			cf.Last[in.ID] = in
			cf.States[in.ID] = Decide(in, requestOf[in.ID], projectID)
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, cvm.ErrNoTimeLeft) && !errors.Is(err, context.Canceled) {
				cf.Err = err
			}
			return cf
		}
		next := pending[:0:0]
		for _, id := range pending {
			if cf.States[id] == Pending {
				next = append(next, id)
			}
		}
		pending = next
		delay = min(2*delay, opts.MaxDelay)
	}
	return cf
}
