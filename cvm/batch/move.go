package batch

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"

	"golang.org/x/sync/errgroup"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// Outcome is the outcome of one cvm.ModifyInstancesProject call for
// InstanceIds (at most cvm.MaxInstancesPerCall): the upstream's cvm.Result (Code ""
// when it moved them), or Err when no usable answer came back (an error of
// Call, cvm.ErrNotSent, a *cvm.PanicError). Isolation is set when the batch was
// refused because of some of its instances and Options.SkipInvalid
// isolated them.
type Outcome struct {
	InstanceIds []string
	cvm.Result
	Err       error
	Isolation *Isolation
}

// Moved reports whether the call moved every instance of the batch.
func (b Outcome) Moved() bool { return b.Err == nil && b.Code == "" }

// Isolation is what isolating the offending instances of a refused batch
// did: the instances that moved and the ones that failed (each with the
// call that says why), in the batch's order, the calls it cost beyond the
// batch's own, and the outcome that stopped it early (a failure that is not
// an instance's, such as the deadline), if any.
type Isolation struct {
	Calls   int
	Moved   []string
	MovedBy map[string]string // instance → the RequestId of the call that moved it
	Failed  []InstanceFailure
	Stopped *Outcome
}

// InstanceFailure is an instance that did not move, with the outcome of the
// call that says why.
type InstanceFailure struct {
	InstanceId string
	Outcome    Outcome
}

// Options shape Move.
type Options struct {
	// MaxConcurrency is how many batches are in flight at once; 0 or less
	// means one at a time.
	MaxConcurrency int
	// SkipInvalid isolates the offending instances of a batch refused
	// because of some of them, and moves the others (see Isolatable).
	SkipInvalid bool
	// Panicked, when set, is told of a panic in a batch's goroutine (which
	// no recover of the caller's can reach) before the batch is reported
	// with a *cvm.PanicError.
	Panicked func(ids []string, err *cvm.PanicError)
}

// Move moves ids into projectID in region: one
// cvm.ModifyInstancesProject call per batch of at most cvm.MaxInstancesPerCall,
// MaxConcurrency at a time, each through c (and so with its retries, rate
// and deadline rule); keys gives the keys of each attempt. A failed batch
// does not stop the others. No batch is sent once ctx is done. The
// outcomes keep the order of ids.
func Move(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, projectID int64, ids []string, opts Options) []Outcome {
	chunks := slices.Collect(slices.Chunk(ids, cvm.MaxInstancesPerCall))
	out := make([]Outcome, len(chunks))
	move := func(group []string) Outcome {
		return moveBatch(ctx, c, keys, region, projectID, group)
	}
	run := func(i int) error {
		group := chunks[i]
		defer func() {
			if p := recover(); p != nil {
				perr := &cvm.PanicError{Value: p, Stack: debug.Stack()}
				if opts.Panicked != nil {
					opts.Panicked(group, perr)
				}
				out[i] = Outcome{InstanceIds: group, Err: perr}
			}
		}()
		b := move(group)
		if opts.SkipInvalid && b.Err == nil && Isolatable(b.Code) {
			iso := newIsolation(move)
			iso.run(group, b)
			b.Isolation = iso.result(group)
		}
		out[i] = b
		return nil
	}
	if len(chunks) == 1 {
		_ = run(0) // a lone batch needs no goroutine: handing it to one costs a wake-up
		return out
	}
	var g errgroup.Group
	g.SetLimit(max(opts.MaxConcurrency, 1))
	for i := range chunks {
		g.Go(func() error { return run(i) })
	}
	_ = g.Wait() // run returns no error: each outcome is in out
	return out
}

// moveBatch makes one call (with the client's retries) for ids.
func moveBatch(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, projectID int64, ids []string) Outcome {
	b := Outcome{InstanceIds: ids}
	if err := ctx.Err(); err != nil {
		b.Err = fmt.Errorf("%w: %w", cvm.ErrNotSent, err)
		return b
	}
	b.Result, b.Err = c.Call(ctx, keys, region, cvm.ModifyInstancesProject{InstanceIds: ids, ProjectId: projectID}, nil)
	return b
}
