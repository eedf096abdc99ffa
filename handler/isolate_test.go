package handler

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simAPI refuses a call all or nothing, as ModifyInstancesProject does:
// NotFound when an id is unknown, else NotSupported when one is bound to
// a load balancer; its messages name the ids unless terse.
type simAPI struct {
	bad    map[string]string // id → the code it is refused with
	terse  bool
	calls  [][]string
	strike map[int]Batch // the n-th call (1-based) answers this instead
}

func (s *simAPI) call(ids []string) Batch {
	s.calls = append(s.calls, slices.Clone(ids))
	if b, ok := s.strike[len(s.calls)]; ok {
		b.InstanceIds = ids
		return b
	}
	for _, code := range []string{codeInstanceNotFound, codeInstanceNotSupported} {
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
		return Batch{RequestId: fmt.Sprint("req-", len(s.calls)), Code: code, Message: msg, InstanceIds: ids}
	}
	return Batch{RequestId: fmt.Sprint("req-", len(s.calls)), Code: CodeSuccess, InstanceIds: ids}
}

// isolate runs an isolation as move does: the batch's own call, then, when
// it is refused for some instances, the isolation.
func isolate(api *simAPI, batch []string) (first Batch, iso *isolation) {
	first = api.call(batch)
	iso = newIsolation(api.call)
	if isolatable(first.Code) {
		iso.run(batch, first)
	}
	return first, iso
}

func TestIsolationCallsAreExact(t *testing.T) {
	batch := ids(1, 100)
	tests := []struct {
		name      string
		bad       map[string]string
		terse     bool
		wantCalls int
	}{
		{"named: one unknown", map[string]string{"ins-00000011": codeInstanceNotFound}, false, 1},
		{"named: three unknown at once", map[string]string{"ins-00000011": codeInstanceNotFound, "ins-00000050": codeInstanceNotFound, "ins-00000100": codeInstanceNotFound}, false, 1},
		{"named: an unknown and a load-balanced one", map[string]string{"ins-00000011": codeInstanceNotFound, "ins-00000051": codeInstanceNotSupported}, false, 2},
		{"halving: the last one", map[string]string{"ins-00000100": codeInstanceNotFound}, true, 7},
		{"halving: the first one", map[string]string{"ins-00000001": codeInstanceNotFound}, true, 12},
		{"halving: the 51st", map[string]string{"ins-00000051": codeInstanceNotSupported}, true, 11},
		{"halving: two in different halves", map[string]string{"ins-00000001": codeInstanceNotFound, "ins-00000100": codeInstanceNotSupported}, true, 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &simAPI{bad: tt.bad, terse: tt.terse}
			first, iso := isolate(api, batch)
			require.True(t, isolatable(first.Code))
			assert.Equal(t, tt.wantCalls, iso.calls)
			assert.Len(t, api.calls, tt.wantCalls+1, "the isolation calls and the batch's own")
			assert.Len(t, iso.moved, len(batch)-len(tt.bad))
			for _, f := range iso.failures(batch) {
				assert.Equal(t, tt.bad[f.InstanceId], f.Code, f.InstanceId)
			}
			assert.Len(t, iso.failed, len(tt.bad))
			assert.Nil(t, iso.stopped)
		})
	}
}

func TestIsolationOfSmallBatches(t *testing.T) {
	t.Run("a lone instance has failed: no call", func(t *testing.T) {
		api := &simAPI{bad: map[string]string{"ins-00000001": codeInstanceNotFound}, terse: true}
		_, iso := isolate(api, ids(1, 1))
		assert.Zero(t, iso.calls)
		assert.Equal(t, []Failure{{InstanceId: "ins-00000001", Code: codeInstanceNotFound, Message: "An instance in the request is refused."}}, iso.failures(ids(1, 1)))
	})
	t.Run("every instance bad", func(t *testing.T) {
		bad := map[string]string{}
		for _, id := range ids(1, 4) {
			bad[id] = codeInstanceNotFound
		}
		api := &simAPI{bad: bad, terse: true}
		first, iso := isolate(api, ids(1, 4))
		assert.Equal(t, 6, iso.calls)
		assert.Empty(t, iso.moved)
		assert.Len(t, iso.failed, 4)
		out := iso.outcome(first)
		assert.Equal(t, codeInstanceNotFound, out.Code, "none moved: the offending code")
		assert.True(t, out.isolated)
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
			code := codeInstanceNotFound
			if r.IntN(2) == 0 {
				code = codeInstanceNotSupported
			}
			bad[batch[r.IntN(n)]] = code
		}
		if len(bad) == 0 {
			continue
		}
		terse := r.IntN(2) == 0
		api := &simAPI{bad: bad, terse: terse}
		first, iso := isolate(api, batch)
		require.True(t, isolatable(first.Code), "round %d", round)

		for _, id := range batch {
			_, failed := iso.failed[id]
			require.NotEqual(t, failed, iso.moved[id], "round %d: %s is settled exactly once", round, id)
			require.Equal(t, bad[id] != "", failed, "round %d: %s", round, id)
			if failed {
				require.Equal(t, bad[id], iso.failed[id].Code, "round %d: %s fails with its own code", round, id)
			}
		}
		bound := len(bad) + 1 // each refusal names its offenders: one call per code, then the rest
		if terse {
			bound = 2 * len(bad) * bits.Len(uint(n))
		}
		require.LessOrEqual(t, iso.calls, bound, "round %d: %d bad of %d, terse %v", round, len(bad), n, terse)
		out := iso.outcome(first)
		if len(bad) < n {
			require.Equal(t, CodePartialSuccess, out.Code)
		} else {
			require.Equal(t, first.Code, out.Code)
		}
	}
}

// When another error strikes during isolation, the instances not yet
// settled fail with it, and the isolation stops there.
func TestAnotherErrorStopsTheIsolation(t *testing.T) {
	ise := Batch{RequestId: "req-ise", Code: "InternalServerError", Message: "try again later"}
	t.Run("named: the rest fails with the error", func(t *testing.T) {
		api := &simAPI{bad: map[string]string{"ins-00000011": codeInstanceNotFound}, strike: map[int]Batch{2: ise}}
		first, iso := isolate(api, ids(1, 100))
		assert.Equal(t, 1, iso.calls)
		require.NotNil(t, iso.stopped)
		failures := iso.failures(ids(1, 100))
		require.Len(t, failures, 100)
		assert.Equal(t, codeInstanceNotFound, failures[10].Code)
		assert.Equal(t, "InternalServerError", failures[0].Code)
		assert.Equal(t, "try again later", failures[99].Message)
		assert.Empty(t, iso.moved)
		assert.Equal(t, codeInstanceNotFound, iso.outcome(first).Code, "none moved: the first offending code")
	})
	t.Run("halving: what moved stays moved", func(t *testing.T) {
		// Calls: the batch, [1,50] moves, [51,75] moves, then the error.
		api := &simAPI{bad: map[string]string{"ins-00000100": codeInstanceNotFound}, terse: true, strike: map[int]Batch{4: ise}}
		first, iso := isolate(api, ids(1, 100))
		assert.Equal(t, 3, iso.calls)
		assert.Len(t, iso.moved, 75)
		assert.Len(t, iso.failures(ids(1, 100)), 25)
		for _, f := range iso.failures(ids(1, 100)) {
			assert.Equal(t, "InternalServerError", f.Code, f.InstanceId)
		}
		assert.Equal(t, CodePartialSuccess, iso.outcome(first).Code)
	})
	t.Run("the deadline", func(t *testing.T) {
		late := Batch{Code: CodeDeadlineExceeded, Message: "not sent: the invocation's deadline left no time for this batch"}
		api := &simAPI{bad: map[string]string{"ins-00000011": codeInstanceNotFound}, strike: map[int]Batch{2: late}}
		first, iso := isolate(api, ids(1, 100))
		out := iso.outcome(first)
		assert.Equal(t, CodeDeadlineExceeded, out.Code)
		assert.Contains(t, out.Message, "0 moved, 100 failed")
		assert.Equal(t, CodeDeadlineExceeded, iso.failures(ids(1, 100))[0].Code)
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
		CodeDeadlineExceeded:             false,
		CodeSuccess:                      false,
	} {
		assert.Equal(t, want, isolatable(code), code)
	}
}
