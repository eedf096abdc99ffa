package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/handler/answer"
)

// fakeFleet is a region's instances behind a Lister and a Mover, as
// cvm.ListInstances and the batched move would see them.
type fakeFleet struct {
	mu        sync.Mutex
	instances []cvm.Instance

	// failOn makes the listing of a filter (its Name=Value) fail after
	// listing partial of its instances; failIDs fails a listing by id.
	failOn  map[string]error
	partial int
	failIDs error
	// failMove makes the batches holding any of these instances fail.
	failMove map[string]bool

	lists []listing.Query
	moves []fleetMove
	calls int
}

type fleetMove struct {
	Region    string
	ProjectID int64
	IDs       []string
}

func newFleet(instances ...[]cvm.Instance) *fakeFleet {
	f := &fakeFleet{}
	for _, l := range instances {
		f.instances = append(f.instances, l...)
	}
	return f
}

// many returns n instances ins-<prefix><i> in project, each with tags.
func many(prefix string, n int, project int64, tags ...string) []cvm.Instance {
	out := make([]cvm.Instance, n)
	for i := range out {
		out[i] = inst(fmt.Sprintf("ins-%s%07d", prefix, i), project, tags...)
	}
	return out
}

func (f *fakeFleet) requestID() string {
	f.calls++
	return fmt.Sprintf("req-%03d", f.calls)
}

func filterKey(fl cvm.Filter) string { return fl.Name + "=" + strings.Join(fl.Values, ",") }

// matches reports whether in answers q, as DescribeInstances would.
func matches(q listing.Query, in cvm.Instance) bool {
	for _, id := range q.InstanceIDs {
		if id == in.ID {
			return true
		}
	}
	for _, fl := range q.Filters {
		for _, t := range in.Tags {
			switch {
			case fl.Name == "tag-key" && t.Key == fl.Values[0]:
				return true
			case fl.Name == "tag:"+t.Key && t.Value == fl.Values[0]:
				return true
			}
		}
	}
	return false
}

// list pages by 100, one RequestId a page, as ListInstances does.
func (f *fakeFleet) list(_ context.Context, region string, q listing.Query) ([]cvm.Instance, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists = append(f.lists, q)
	var out []cvm.Instance
	for _, in := range f.instances {
		if matches(q, in) {
			out = append(out, in)
		}
	}
	var err error
	if len(q.Filters) == 1 {
		err = f.failOn[filterKey(q.Filters[0])]
	} else if len(q.InstanceIDs) > 0 {
		err = f.failIDs
	}
	if err != nil {
		out = out[:min(f.partial, len(out))]
		var reqIDs []string
		for range (len(out) + 99) / 100 {
			reqIDs = append(reqIDs, f.requestID())
		}
		return out, reqIDs, err
	}
	reqIDs := []string{f.requestID()}
	for range (len(out) - 1) / 100 {
		reqIDs = append(reqIDs, f.requestID())
	}
	return out, reqIDs, nil
}

// move sends batches of at most 100, and moves what succeeded.
func (f *fakeFleet) move(_ context.Context, region string, projectID int64, ids []string) Moved {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.moves = append(f.moves, fleetMove{Region: region, ProjectID: projectID, IDs: append([]string(nil), ids...)})
	var batches []answer.Batch
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		b := answer.Batch{RequestId: f.requestID(), Code: answer.CodeSuccess, InstanceIds: chunk, Attempts: 1}
		for _, id := range chunk {
			if f.failMove[id] {
				b.Code, b.Message = answer.CodeInstanceNotSupported, "instance "+id+" cannot be moved"
			}
		}
		if b.Code == answer.CodeSuccess {
			for _, id := range chunk {
				for i := range f.instances {
					if f.instances[i].ID == id {
						f.instances[i].ProjectID = projectID
					}
				}
			}
		}
		batches = append(batches, b)
	}
	return Moved{Batches: batches}
}

func (f *fakeFleet) project(id string) int64 {
	for _, in := range f.instances {
		if in.ID == id {
			return in.ProjectID
		}
	}
	panic("no instance " + id)
}

func (f *fakeFleet) movedIDs() []string {
	var out []string
	for _, m := range f.moves {
		out = append(out, m.IDs...)
	}
	return out
}

func idsOf(instances []cvm.Instance) []string {
	out := make([]string, len(instances))
	for i, in := range instances {
		out[i] = in.ID
	}
	return out
}

// A reconciliation over more instances than a page or a batch holds lists
// each rule's tag, moves each instance once into its rule's project (the
// Mover batches), reports every rule, and then converges.
func TestRunReconcileOverManyInstances(t *testing.T) {
	prod := many("p", 250, 0, "env=prod")         // to move into 1045
	placed := many("q", 30, 1045, "env=prod")     // in place
	team := many("t", 120, 3, "team=web")         // to move into 7
	both := many("c", 5, 0, "env=prod", "team=x") // conflicts
	other := many("o", 40, 0, "env=dev")          // no rule
	f := newFleet(prod, placed, team, both, other)

	run := NewRun([]Rule{envProd, teamAny}, false, f.list, f.move)
	run.Reconcile(context.Background(), "ap-guangzhou")

	require.Len(t, f.lists, 2, "one listing a rule")
	assert.Equal(t, listing.Query{Filters: []cvm.Filter{{Name: "tag:env", Values: []string{"prod"}}}}, f.lists[0])
	assert.Equal(t, listing.Query{Filters: []cvm.Filter{{Name: "tag-key", Values: []string{"team"}}}}, f.lists[1])

	require.Len(t, f.moves, 2, "one move a target project, in the rules' order")
	assert.Equal(t, fleetMove{Region: "ap-guangzhou", ProjectID: 1045, IDs: idsOf(prod)}, f.moves[0])
	assert.Equal(t, fleetMove{Region: "ap-guangzhou", ProjectID: 7, IDs: idsOf(team)}, f.moves[1])
	for _, in := range both {
		assert.EqualValues(t, 0, f.project(in.ID), "a conflict stays where it is")
	}
	for _, in := range other {
		assert.EqualValues(t, 0, f.project(in.ID), "no rule, no move")
	}

	o := run.Outcome(nil)
	assert.Nil(t, o.InstanceIds)
	require.Len(t, o.Batches, 5, "250 in 3 batches, 120 in 2")
	assert.Nil(t, o.ListingFailure)
	assert.Equal(t, "req-001", o.FirstRequestID)
	assert.False(t, o.RulesDryRun)
	assert.Zero(t, o.WouldMove)
	assert.Empty(t, o.NotFound)

	require.Len(t, o.Rules, 2)
	r0, r1 := o.Rules[0], o.Rules[1]
	assert.Equal(t, answer.RuleTag{Key: "env", Value: strPtr("prod")}, r0.Tag)
	assert.EqualValues(t, 1045, r0.ProjectId)
	assert.Equal(t, 285, r0.Matched)
	assert.Equal(t, 30, r0.AlreadyInProject)
	assert.EqualValues(t, idsOf(prod), r0.Moved)
	assert.EqualValues(t, idsOf(both), r0.Conflicts)
	assert.Empty(t, r0.Failed)
	// Its listing (285 instances: 3 pages), then its 3 batches.
	assert.EqualValues(t, []string{"req-001", "req-002", "req-003", "req-006", "req-007", "req-008"}, r0.RequestIds)

	assert.Equal(t, answer.RuleTag{Key: "team"}, r1.Tag)
	assert.EqualValues(t, 7, r1.ProjectId)
	assert.Equal(t, 125, r1.Matched)
	assert.Zero(t, r1.AlreadyInProject)
	assert.EqualValues(t, idsOf(team), r1.Moved)
	assert.EqualValues(t, idsOf(both), r1.Conflicts)
	assert.EqualValues(t, []string{"req-004", "req-005", "req-009", "req-010"}, r1.RequestIds)
	for i, r := range o.Rules {
		assert.Equal(t, r.Matched, r.AlreadyInProject+len(r.Moved)+len(r.Conflicts)+len(r.Failed), "rule %d: every match is counted once", i)
	}

	a := answer.Build(o)
	assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.Equal(t, "req-006", a.RequestId, "the first batch's")

	// Again: nothing left to move.
	again := NewRun([]Rule{envProd, teamAny}, false, f.list, f.move)
	again.Reconcile(context.Background(), "ap-guangzhou")
	require.Len(t, f.moves, 2, "no move the second time")
	o = again.Outcome(nil)
	assert.Empty(t, o.Batches)
	assert.Equal(t, 280, o.Rules[0].AlreadyInProject)
	assert.Equal(t, 120, o.Rules[1].AlreadyInProject)
	assert.Empty(t, o.Rules[0].Moved)
	assert.EqualValues(t, idsOf(both), o.Rules[0].Conflicts, "conflicts stay conflicts")
	a = answer.Build(o)
	assert.Equal(t, answer.CodeSuccess, a.Code)
	assert.Equal(t, "req-011", a.RequestId, "a run without batches answers with its first call's RequestId")
}

// A listing that fails moves nothing for its rule, not even what it listed
// before failing; the other rules go on, and the answer says what failed.
func TestRunAFailedListingMovesNothingForItsRule(t *testing.T) {
	prod := many("p", 150, 0, "env=prod")
	team := many("t", 150, 0, "team=web")
	f := newFleet(prod, team)
	f.failOn = map[string]error{"tag-key=team": &cvm.APIError{Action: "DescribeInstances", RequestID: "req-failed", Code: "InternalError", Message: "the listing broke"}}
	f.partial = 100 // one page listed before the failure

	run := NewRun([]Rule{envProd, teamAny}, false, f.list, f.move)
	run.Reconcile(context.Background(), "ap-guangzhou")

	require.Len(t, f.moves, 1)
	assert.Equal(t, fleetMove{Region: "ap-guangzhou", ProjectID: 1045, IDs: idsOf(prod)}, f.moves[0])
	for _, in := range team {
		assert.EqualValues(t, 0, f.project(in.ID), "nothing moves for a rule whose listing failed")
	}

	o := run.Outcome(nil)
	require.NotNil(t, o.ListingFailure)
	assert.Equal(t, "InternalError", o.ListingFailure.Code)
	assert.Empty(t, o.ListingFailure.InstanceId)
	assert.Contains(t, o.ListingFailure.Message, `the listing of tag "team=*" in ap-guangzhou stopped after 100 instances, so nothing was moved for it`)
	assert.Contains(t, o.ListingFailure.Message, "the listing broke")
	assert.Equal(t, "req-failed", o.ListingRequest)

	r0, r1 := o.Rules[0], o.Rules[1]
	assert.Equal(t, 150, r0.Matched)
	assert.EqualValues(t, idsOf(prod), r0.Moved)
	assert.Empty(t, r0.Failed)
	assert.Zero(t, r1.Matched, "an incomplete rule reports nothing")
	assert.Empty(t, r1.Moved)
	require.Len(t, r1.Failed, 1)
	assert.Equal(t, *o.ListingFailure, r1.Failed[0])
	assert.Contains(t, r1.RequestIds, "req-003", "the pages it did list")

	a := answer.Build(o)
	assert.Equal(t, "InternalError", a.Code, "the failed listing is what the answer says first")
	assert.Equal(t, "req-failed", a.RequestId)
	assert.Len(t, a.Batches, 2, "the other rule's batches are reported")
}

// A listing that answers nothing (no RequestId) fails as the network does.
func TestRunAListingThatNeverAnswered(t *testing.T) {
	f := newFleet(many("p", 3, 0, "env=prod"))
	f.failOn = map[string]error{"tag:env=prod": errors.New("dial tcp: connection refused")}
	run := NewRun([]Rule{envProd}, false, f.list, f.move)
	run.Reconcile(context.Background(), "ap-guangzhou")
	assert.Empty(t, f.moves)
	o := run.Outcome(nil)
	require.NotNil(t, o.ListingFailure)
	assert.Equal(t, answer.CodeUpstreamUnreachable, o.ListingFailure.Code)
	assert.Empty(t, o.ListingRequest)
	assert.Empty(t, o.FirstRequestID)
	assert.Empty(t, o.Rules[0].RequestIds)
}

// A dry run lists and decides, and moves nothing: its reports say what
// would move.
func TestRunDryRunMovesNothing(t *testing.T) {
	prod := many("p", 130, 0, "env=prod")
	team := many("t", 20, 7, "team=web")
	f := newFleet(prod, team, many("x", 10, 0, "team=x"))
	mustNotMove := func(context.Context, string, int64, []string) Moved {
		t.Error("a dry run moved instances")
		return Moved{}
	}

	run := NewRun([]Rule{envProd, teamAny}, true, f.list, mustNotMove)
	run.Reconcile(context.Background(), "ap-guangzhou")
	assert.Len(t, f.lists, 2, "a dry run still lists")
	assert.Empty(t, f.moves)
	for _, in := range prod {
		assert.EqualValues(t, 0, f.project(in.ID))
	}

	o := run.Outcome(nil)
	assert.True(t, o.RulesDryRun)
	assert.Equal(t, 140, o.WouldMove)
	assert.Empty(t, o.Batches)
	assert.EqualValues(t, idsOf(prod), o.Rules[0].Moved, "to move")
	assert.Equal(t, 20, o.Rules[1].AlreadyInProject)
	assert.Len(t, o.Rules[1].Moved, 10)

	a := answer.Build(o)
	assert.Equal(t, answer.CodeSuccess, a.Code)
	assert.Equal(t, "req-001", a.RequestId)
	assert.Equal(t, "dry run: 140 instances would move; nothing was moved", a.Message)

	// Applied to named instances too.
	named := NewRun([]Rule{envProd, teamAny}, true, f.list, mustNotMove)
	named.Apply(context.Background(), "ap-guangzhou", []string{prod[0].ID, team[0].ID})
	o = named.Outcome([]string{prod[0].ID, team[0].ID})
	assert.Equal(t, 1, o.WouldMove)
	assert.True(t, o.RulesDryRun)
}

// A failed batch is reported on the rule that moved its instances; the
// instances of the other batches move.
func TestRunAFailedMoveIsReportedOnItsRule(t *testing.T) {
	prod := many("p", 150, 0, "env=prod")
	f := newFleet(prod)
	f.failMove = map[string]bool{prod[120].ID: true}

	run := NewRun([]Rule{envProd}, false, f.list, f.move)
	run.Reconcile(context.Background(), "ap-guangzhou")

	o := run.Outcome(nil)
	require.Len(t, o.Batches, 2)
	r := o.Rules[0]
	assert.EqualValues(t, idsOf(prod[:100]), r.Moved)
	require.Len(t, r.Failed, 50, "every instance of the failed batch")
	assert.Equal(t, answer.Failure{InstanceId: prod[100].ID, Code: answer.CodeInstanceNotSupported, Message: "instance " + prod[120].ID + " cannot be moved"}, r.Failed[0])
	// Its listing (2 pages), then its 2 batches.
	assert.EqualValues(t, []string{"req-001", "req-002", "req-003", "req-004"}, r.RequestIds)
	assert.Equal(t, 150, r.Matched)
	for _, in := range prod[:100] {
		assert.EqualValues(t, 1045, f.project(in.ID))
	}
	for _, in := range prod[100:] {
		assert.EqualValues(t, 0, f.project(in.ID))
	}

	a := answer.Build(o)
	assert.Equal(t, answer.CodeInstanceNotSupported, a.Code)
	assert.Equal(t, "req-004", a.RequestId, "the failed batch's")
}

// Applied to named instances, the rules see only those; an id the listing
// did not find is reported, and a failed listing moves nothing at all.
func TestRunApply(t *testing.T) {
	prod := many("p", 3, 0, "env=prod")
	team := many("t", 3, 0, "team=web")
	f := newFleet(prod, team)

	named := []string{prod[0].ID, team[1].ID, "ins-zzzzzzzz"}
	run := NewRun([]Rule{envProd, teamAny}, false, f.list, f.move)
	run.Apply(context.Background(), "ap-guangzhou", named)
	require.Len(t, f.lists, 1, "one listing by id for every rule")
	assert.Equal(t, listing.Query{InstanceIDs: named}, f.lists[0])
	assert.Equal(t, []string{prod[0].ID, team[1].ID}, f.movedIDs())
	o := run.Outcome(named)
	assert.Equal(t, named, o.InstanceIds)
	assert.Equal(t, []string{"ins-zzzzzzzz"}, o.NotFound)
	assert.EqualValues(t, []string{prod[0].ID}, o.Rules[0].Moved)
	assert.EqualValues(t, []string{team[1].ID}, o.Rules[1].Moved)
	assert.EqualValues(t, []string{"req-001", "req-002"}, o.Rules[0].RequestIds)
	assert.EqualValues(t, []string{"req-001", "req-003"}, o.Rules[1].RequestIds)

	failing := newFleet(prod, team)
	failing.failIDs = &cvm.APIError{Action: "DescribeInstances", RequestID: "req-bad", Code: "RequestLimitExceeded", Message: "too many"}
	failing.partial = 1
	run = NewRun([]Rule{envProd, teamAny}, false, failing.list, failing.move)
	run.Apply(context.Background(), "ap-guangzhou", named)
	assert.Empty(t, failing.moves, "a failed listing of named instances moves nothing")
	o = run.Outcome(named)
	require.NotNil(t, o.ListingFailure)
	assert.Contains(t, o.ListingFailure.Message, "the listing of the 3 instances named in ap-guangzhou stopped after 1 instances")
	assert.Equal(t, "req-bad", o.ListingRequest)
	assert.Empty(t, o.NotFound, "nothing is said missing from an incomplete listing")
	for i, r := range o.Rules {
		require.Len(t, r.Failed, 1, "rule %d", i)
		assert.Equal(t, *o.ListingFailure, r.Failed[0])
		assert.Zero(t, r.Matched)
	}
}

// MaxInstances bounds what a run moves: over it, nothing moves and the
// run is refused with the count; a dry run is not bound.
func TestRunMaxInstances(t *testing.T) {
	tests := []struct {
		name     string
		max      int
		dryRun   bool
		wantCode string
		wantMove int
	}{
		{"over the cap", 100, false, answer.CodeLimitExceeded, 0},
		{"at the cap", 250, false, answer.CodeSuccess, 250},
		{"no cap", 0, false, answer.CodeSuccess, 250},
		{"a dry run over the cap", 100, true, answer.CodeSuccess, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFleet(many("p", 250, 0, "env=prod"), many("q", 10, 1045, "env=prod"))
			run := NewRun([]Rule{envProd}, tt.dryRun, f.list, f.move)
			run.MaxInstances = tt.max
			run.Reconcile(context.Background(), "ap-guangzhou")
			a := answer.Build(run.Outcome(nil))
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			assert.Len(t, f.movedIDs(), tt.wantMove)
			assert.Equal(t, 260, a.Rules[0].Matched)
			assert.Equal(t, 10, a.Rules[0].AlreadyInProject)
			if tt.wantCode == answer.CodeLimitExceeded {
				assert.Equal(t, "the rules would move 250 instances; at most 100 are allowed in one invocation (MAX_INSTANCES), so nothing was moved", a.Message)
				assert.Equal(t, "req-001", a.RequestId, "the listing's")
				assert.Empty(t, a.Rules[0].Moved)
			}
		})
	}
}
