package batch

import (
	"context"
	"errors"
	"sync"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/internal/retry"
)

// State is where an instance stands for a waiter.
type State int

// The states: Pending (under way, or not read yet), Succeeded, Failed
// (the operation ended FAILED), Gone (no longer listed).
const (
	Pending State = iota
	Succeeded
	Failed
	Gone
)

// Decide says where the move of in to projectID by the call requestID
// stands (found false: the read did not list it): its operation's state
// when in's latest operation is that call's; else Succeeded when in is in
// projectID with no move under way (a later operation, anyone's, replaced
// ours); else Pending. Pure.
func Decide(in cvm.Instance, found bool, requestID string, projectID int64) State {
	switch {
	case !found:
		return Gone
	case requestID != "" && in.LatestOperationRequestId == requestID:
		switch in.LatestOperationState {
		case cvm.OperationSuccess:
			return Succeeded
		case cvm.OperationFailed:
			return Failed
		}
		return Pending
	case in.ProjectID == projectID && !in.Moving():
		return Succeeded // someone else's later operation may be under way
	}
	return Pending
}

// WaitOptions time Wait, as an SDK waiter's MinDelay and MaxDelay do. The
// first poll comes after First (when the operation is expected to be
// done), the next after MinDelay, doubling up to MaxDelay; a poll that
// would leave less than Reserve before the deadline (or past Timeout) is
// moved earlier to fit, and none starts once nothing fits.
type WaitOptions struct {
	// Probe, when shorter than First, is an earlier first poll that
	// catches an operation quicker than expected.
	Probe                     time.Duration
	First, MinDelay, MaxDelay time.Duration
	Reserve, Timeout          time.Duration
	Clock                     func() time.Time
	Sleep                     func(context.Context, time.Duration) error
}

// The waiter's defaults, for options left zero: pauses of 200 ms doubling
// to 500 ms, and 300 ms kept for the last read (the client starts none with
// less than 200 ms); the clock time.Now, the sleep retry.Sleep.
const (
	DefaultMinDelay = 200 * time.Millisecond
	DefaultMaxDelay = 500 * time.Millisecond
	DefaultReserve  = 300 * time.Millisecond
)

// Confirmation is what Wait found: each instance's State and last read,
// the RequestId of each call it made, how long until every instance was
// decided (Took, 0 when some were not), and the error that stopped it
// early (nil when all were decided or time ran out: the Pending ones say so).
type Confirmation struct {
	States     map[string]State
	Last       map[string]cvm.Instance
	RequestIDs []string
	Took       time.Duration
	Polls      int
	Err        error
}

// Wait polls DescribeInstances for ids in region (100 a call, through c
// with keys) until state decides every one (not Pending), or no poll fits.
// An error of a read other than the deadline's stops it, in Err.
func Wait(ctx context.Context, c cvm.Caller, keys credentials.Provider, region string, ids []string,
	state func(id string, in cvm.Instance, found bool) State, opts WaitOptions) Confirmation {
	if opts.MinDelay <= 0 {
		opts.MinDelay = DefaultMinDelay
	}
	if opts.MaxDelay < opts.MinDelay {
		opts.MaxDelay = max(DefaultMaxDelay, opts.MinDelay)
	}
	if opts.Reserve <= 0 {
		opts.Reserve = DefaultReserve
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = retry.Sleep
	}
	start := opts.Clock()
	cf := Confirmation{States: make(map[string]State, len(ids)), Last: make(map[string]cvm.Instance, len(ids))}
	pending := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, dup := cf.States[id]; !dup {
			cf.States[id] = Pending
			pending = append(pending, id)
		}
	}
	end, bounded := ctx.Deadline()
	if opts.Timeout > 0 && (!bounded || start.Add(opts.Timeout).Before(end)) {
		end, bounded = start.Add(opts.Timeout+opts.Reserve), true
	}
	delays := []time.Duration{opts.First}
	if opts.Probe > 0 && opts.Probe < opts.First {
		delays = []time.Duration{opts.Probe, opts.First - opts.Probe}
	}
	next := opts.MinDelay
	for len(pending) > 0 {
		delay := next
		if cf.Polls < len(delays) {
			delay = delays[cf.Polls]
		} else if cf.Polls > len(delays) {
			next = min(2*next, opts.MaxDelay)
			delay = next
		}
		if bounded {
			if room := end.Sub(opts.Clock()) - opts.Reserve; room < delay {
				if room < 0 || (room == 0 && cf.Polls > 0) {
					return cf
				}
				delay = room // the last poll, fitted into the time left
			}
		}
		if opts.Sleep(ctx, delay) != nil {
			return cf
		}
		listed, reqIDs, err := listing.Instances(ctx, c, keys, region, listing.Query{InstanceIDs: pending})
		cf.Polls++
		cf.RequestIDs = append(cf.RequestIDs, reqIDs...)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				cf.Err = err
			}
			return cf
		}
		byID := make(map[string]cvm.Instance, len(listed))
		for _, in := range listed {
			byID[in.ID] = in
		}
		left := pending[:0]
		for _, id := range pending {
			in, found := byID[id]
			if found {
				cf.Last[id] = in
			}
			if cf.States[id] = state(id, in, found); cf.States[id] == Pending {
				left = append(left, id)
			}
		}
		pending = left
	}
	cf.Took = opts.Clock().Sub(start)
	return cf
}

// Expected learns how long an operation takes from the ones a run has
// confirmed, so that a waiter's first poll comes when the next one is
// expected to be done. Its zero value expects Guess. Safe for concurrent use.
type Expected struct {
	mu   sync.Mutex
	took time.Duration
}

// Guess is the expected length of an operation before any is seen (the
// API documents none); GuessProbe, a first poll at a quarter of it,
// catches quicker ones for one read.
const (
	Guess      = time.Second
	GuessProbe = Guess / 4
)

// Next is the expected length of the next operation and, before any was
// seen, the probe to poll at first.
func (e *Expected) Next() (expected, probe time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.took == 0 {
		return Guess, GuessProbe
	}
	return e.took, 0
}

// Observe notes a confirmation: it took took, and polls polls. Done at the
// first poll, the operation may be shorter: the next first poll comes a
// little earlier (0.8 × took); else took is the new expectation.
func (e *Expected) Observe(took time.Duration, polls int) {
	if took <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if polls <= 1 {
		took = took * 4 / 5
	}
	e.took = max(took, 50*time.Millisecond)
}
