package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"scf-cvm-project/cvm"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simAPI refuses a call all or nothing, as cvm.ModifyInstancesProject does:
// NotFound when an id is unknown, else NotSupported when one is bound to
// a load balancer; its messages name the ids unless terse.
type simAPI struct {
	bad    map[string]string // id → the code it is refused with
	terse  bool
	calls  [][]string
	strike map[int]Outcome // the n-th call (1-based) answers this instead
}

func (s *simAPI) call(ids []string) Outcome {
	s.calls = append(s.calls, slices.Clone(ids))
	if b, ok := s.strike[len(s.calls)]; ok {
		b.InstanceIds = ids
		return b
	}
	for _, code := range []string{CodeInstanceNotFound, CodeInstanceNotSupported} {
		var named []string
		for _, id := range ids {
			if s.bad[id] == code {
				named = append(named, id)
			}
		}
		if len(named) == 0 {
			continue
		}
		list, _ := json.Marshal(named)
		msg := fmt.Sprintf("The instance %s is refused.", list)
		if s.terse {
			msg = "An instance in the request is refused."
		}
		reqID := fmt.Sprint("req-", len(s.calls))
		return Outcome{InstanceIds: ids, Result: cvm.Result{RequestID: reqID}, Err: &cvm.APIError{RequestID: reqID, Code: code, Message: msg}}
	}
	return Outcome{InstanceIds: ids, Result: cvm.Result{RequestID: fmt.Sprint("req-", len(s.calls))}}
}

// isolate runs an isolation as move does: the batch's own call, then, when
// it is refused for some instances, the isolation.
func isolate(api *simAPI, batch []string) (first Outcome, iso *isolation) {
	first = api.call(batch)
	iso = newIsolation(api.call)
	if Isolatable(cvm.Code(first.Err)) {
		iso.run(batch, first)
	}
	return first, iso
}

// failure is an InstanceFailure as a test compares it.
type failure struct{ InstanceId, Code, Message string }

// failures lists the failed instances of batch, in its order.
func failures(iso *isolation, batch []string) []failure {
	var out []failure
	_, r := iso.result(batch)
	for _, f := range r.Failed {
		out = append(out, failure{f.InstanceId, cvm.Code(f.Outcome.Err), f.Outcome.message()})
	}
	return out
}

func TestIsolationCallsAreExact(t *testing.T) {
	batch := ids(1, 100)
	tests := []struct {
		name      string
		bad       map[string]string
		terse     bool
		wantCalls int
	}{
		{"named: one unknown", map[string]string{"ins-00000011": CodeInstanceNotFound}, false, 1},
		{"named: three unknown at once", map[string]string{"ins-00000011": CodeInstanceNotFound, "ins-00000050": CodeInstanceNotFound, "ins-00000100": CodeInstanceNotFound}, false, 1},
		{"named: an unknown and a load-balanced one", map[string]string{"ins-00000011": CodeInstanceNotFound, "ins-00000051": CodeInstanceNotSupported}, false, 2},
		{"halving: the last one", map[string]string{"ins-00000100": CodeInstanceNotFound}, true, 7},
		{"halving: the first one", map[string]string{"ins-00000001": CodeInstanceNotFound}, true, 12},
		{"halving: the 51st", map[string]string{"ins-00000051": CodeInstanceNotSupported}, true, 11},
		{"halving: two in different halves", map[string]string{"ins-00000001": CodeInstanceNotFound, "ins-00000100": CodeInstanceNotSupported}, true, 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &simAPI{bad: tt.bad, terse: tt.terse}
			first, iso := isolate(api, batch)
			require.True(t, Isolatable(cvm.Code(first.Err)))
			assert.Equal(t, tt.wantCalls, iso.calls)
			assert.Len(t, api.calls, tt.wantCalls+1, "the isolation calls and the batch's own")
			assert.Len(t, iso.movedBy, len(batch)-len(tt.bad))
			for _, f := range failures(iso, batch) {
				assert.Equal(t, tt.bad[f.InstanceId], f.Code, f.InstanceId)
			}
			assert.Len(t, iso.failed, len(tt.bad))
			assert.Nil(t, iso.stopped)
		})
	}
}

func TestIsolationOfSmallBatches(t *testing.T) {
	t.Run("a lone instance has failed: no call", func(t *testing.T) {
		api := &simAPI{bad: map[string]string{"ins-00000001": CodeInstanceNotFound}, terse: true}
		_, iso := isolate(api, ids(1, 1))
		assert.Zero(t, iso.calls)
		assert.Equal(t, []failure{{InstanceId: "ins-00000001", Code: CodeInstanceNotFound, Message: "An instance in the request is refused."}}, failures(iso, ids(1, 1)))
	})
	t.Run("every instance bad", func(t *testing.T) {
		bad := map[string]string{}
		for _, id := range ids(1, 4) {
			bad[id] = CodeInstanceNotFound
		}
		api := &simAPI{bad: bad, terse: true}
		first, iso := isolate(api, ids(1, 4))
		assert.Equal(t, 6, iso.calls)
		assert.Empty(t, iso.movedBy)
		assert.Len(t, iso.failed, 4)
		assert.Equal(t, CodeInstanceNotFound, cvm.Code(first.Err))
		ops, _ := iso.result(ids(1, 4))
		assert.Empty(t, ops, "none moved")
	})
}

// For any set of offending instances, named or not, isolation moves
// exactly the others and fails exactly them, with their own codes, within
// a bound of calls.
func TestIsolationFindsExactlyTheOffendingInstances(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2024))
	for round := range 500 {
		n := 1 + r.IntN(100)
		batch := ids(1, n)
		bad := map[string]string{}
		for range r.IntN(6) {
			code := CodeInstanceNotFound
			if r.IntN(2) == 0 {
				code = CodeInstanceNotSupported
			}
			bad[batch[r.IntN(n)]] = code
		}
		if len(bad) == 0 {
			continue
		}
		terse := r.IntN(2) == 0
		api := &simAPI{bad: bad, terse: terse}
		first, iso := isolate(api, batch)
		require.True(t, Isolatable(cvm.Code(first.Err)), "round %d", round)

		for _, id := range batch {
			_, failed := iso.failed[id]
			_, moved := iso.movedBy[id]
			require.NotEqual(t, failed, moved, "round %d: %s is settled exactly once", round, id)
			require.Equal(t, bad[id] != "", failed, "round %d: %s", round, id)
			if failed {
				require.Equal(t, bad[id], cvm.Code(iso.failed[id].Err), "round %d: %s fails with its own code", round, id)
			}
		}
		bound := len(bad) + 1 // each refusal names its offenders: one call per code, then the rest
		if terse {
			bound = 2 * len(bad) * bits.Len(uint(n))
		}
		require.LessOrEqual(t, iso.calls, bound, "round %d: %d bad of %d, terse %v", round, len(bad), n, terse)
		ops, _ := iso.result(batch)
		var moved, others []string
		calls := map[string]bool{}
		for _, op := range ops {
			require.False(t, calls[op.RequestID], "round %d: each call moved one run of the batch", round)
			calls[op.RequestID] = true
			moved = append(moved, op.InstanceIds...)
		}
		for _, id := range batch {
			if bad[id] == "" {
				others = append(others, id)
			}
		}
		require.Equal(t, others, moved, "round %d: the others, in the batch's order", round)
	}
}

// When another error strikes during isolation, the instances not yet
// settled fail with it, and the isolation stops there.
func TestAnotherErrorStopsTheIsolation(t *testing.T) {
	ise := Outcome{Result: cvm.Result{RequestID: "req-ise"}, Err: &cvm.APIError{RequestID: "req-ise", Code: "InternalServerError", Message: "try again later"}}
	t.Run("named: the rest fails with the error", func(t *testing.T) {
		api := &simAPI{bad: map[string]string{"ins-00000011": CodeInstanceNotFound}, strike: map[int]Outcome{2: ise}}
		first, iso := isolate(api, ids(1, 100))
		assert.Equal(t, 1, iso.calls)
		require.NotNil(t, iso.stopped)
		failures := failures(iso, ids(1, 100))
		require.Len(t, failures, 100)
		assert.Equal(t, CodeInstanceNotFound, failures[10].Code)
		assert.Equal(t, "InternalServerError", failures[0].Code)
		assert.Equal(t, "try again later", failures[99].Message)
		assert.Empty(t, iso.movedBy)
		assert.Equal(t, CodeInstanceNotFound, cvm.Code(first.Err))
		ops, _ := iso.result(ids(1, 100))
		assert.Empty(t, ops, "none moved")
	})
	t.Run("halving: what moved stays moved", func(t *testing.T) {
		// Calls: the batch, [1,50] moves, [51,75] moves, then the error.
		api := &simAPI{bad: map[string]string{"ins-00000100": CodeInstanceNotFound}, terse: true, strike: map[int]Outcome{4: ise}}
		_, iso := isolate(api, ids(1, 100))
		assert.Equal(t, 3, iso.calls)
		assert.Len(t, iso.movedBy, 75)
		assert.Len(t, failures(iso, ids(1, 100)), 25)
		for _, f := range failures(iso, ids(1, 100)) {
			assert.Equal(t, "InternalServerError", f.Code, f.InstanceId)
		}
		ops, r := iso.result(ids(1, 100))
		assert.Equal(t, []Operation{{RequestID: "req-2", InstanceIds: ids(1, 50)}, {RequestID: "req-3", InstanceIds: ids(51, 75)}}, ops,
			"moved by the first half's call, then the third quarter's")
		assert.Equal(t, "InternalServerError", cvm.Code(r.Stopped.Err))
	})
	t.Run("the deadline", func(t *testing.T) {
		late := Outcome{Err: fmt.Errorf("%w: %w", cvm.ErrNotSent, context.DeadlineExceeded)}
		api := &simAPI{bad: map[string]string{"ins-00000011": CodeInstanceNotFound}, strike: map[int]Outcome{2: late}}
		_, iso := isolate(api, ids(1, 100))
		ops, r := iso.result(ids(1, 100))
		require.NotNil(t, r.Stopped)
		assert.ErrorIs(t, r.Stopped.Err, context.DeadlineExceeded)
		assert.Empty(t, ops)
		assert.Len(t, r.Failed, 100)
		assert.ErrorIs(t, r.Failed[0].Outcome.Err, cvm.ErrNotSent)
	})
}

func TestNamedIn(t *testing.T) {
	group := []string{"ins-00000001", "ins-00000002", "ins-00000003"}
	tests := []struct {
		message string
		want    []string
	}{
		{`The instance ID ["ins-00000003","ins-00000001"] does not exist.`, []string{"ins-00000001", "ins-00000003"}},
		{`The instance ["ins-00000002"] is bound to a load balancer (CLB) and cannot change project.`, []string{"ins-00000002"}},
		{`The instance ID ["ins-99999999"] does not exist.`, nil},
		{`An instance ID in the request does not exist.`, nil},
		{`ins-0000000`, nil},
		{``, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, namedIn(tt.message, group), tt.message)
	}
}

func TestIsolatable(t *testing.T) {
	for code, want := range map[string]bool{
		"InvalidInstanceId.NotFound":     true,
		"InvalidInstanceId.Malformed":    true,
		"InvalidInstance.NotSupported":   true,
		"InvalidInstance.NotSupported.X": true,
		"InvalidInstanceId":              false,
		"InternalServerError":            false,
		"AuthFailure.SignatureFailure":   false,
		"":                               false,
	} {
		assert.Equal(t, want, Isolatable(code), code)
	}
}

// ids returns ins-<from> to ins-<to>, 8 digits each.
func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-%08d", i))
	}
	return out
}
