package rules

import (
	"context"
	"fmt"
	"slices"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/handler/answer"
)

// Lister lists the instances of q in region: listing.Instances, with the
// invocation's keys and deadline. It returns the RequestId of each call
// answered and, on an error, what it listed before it.
type Lister func(ctx context.Context, region string, q listing.Query) ([]cvm.Instance, []string, error)

// Mover moves ids into projectID in region the way every move is made
// (batches of at most 100, retries, isolation), and says what it did.
type Mover func(ctx context.Context, region string, projectID int64, ids []string) Moved

// Moved is what a Mover did: the batches, the instances that isolation
// (SkipInvalid) found could not move, each with its own code, and the
// calls isolating them cost, as answer.FromBatches gives them.
type Moved struct {
	Batches        []answer.Batch
	Failed         []answer.Failure
	IsolationCalls int
}

// Run is one evaluation of a rule set, over one or more regions: the
// listings, the decision, the moves, and what each rule reports. Its
// I/O is the Lister and the Mover it is given.
type Run struct {
	// MaxInstances, when above 0, is the most instances the run may move
	// (MAX_INSTANCES): a run that would move more moves nothing and is
	// refused with InvalidParameterValue.LimitExceeded, as a named move
	// is. A dry run is not bound: it shows the whole plan.
	MaxInstances int

	rules  []Rule
	dryRun bool
	list   Lister
	move   Mover
	moving int // instances handed to the Mover so far

	out answer.Outcome // what the run did so far: its reports (Rules) one per rule
}

// NewRun returns a run of rules that lists with list and moves with move;
// a dry run decides and reports, and moves nothing.
func NewRun(rules []Rule, dryRun bool, list Lister, move Mover) *Run {
	r := &Run{rules: rules, dryRun: dryRun, list: list, move: move, out: answer.Outcome{Rules: make([]answer.RuleReport, len(rules))}}
	for i, rule := range rules {
		r.out.Rules[i] = answer.RuleReport{Tag: answer.RuleTag{Key: rule.Key, Value: rule.Value}, ProjectId: rule.ProjectID, Project: rule.ProjectName}
	}
	return r
}

// Reconcile lists, rule by rule, the instances of the region that have the
// rule's tag, then decides and moves. A rule whose listing fails moves
// nothing; the others go on.
func (r *Run) Reconcile(ctx context.Context, region string) {
	var instances []cvm.Instance
	complete := make([]bool, len(r.rules))
	for i, rule := range r.rules {
		listed, reqIDs, err := r.list(ctx, region, listing.Query{Filters: []cvm.Filter{cvm.TagFilter(rule.Key, rule.Value)}})
		r.noteCalls(reqIDs)
		r.out.Rules[i].RequestIds = appendUnique(r.out.Rules[i].RequestIds, reqIDs...)
		instances = append(instances, listed...)
		if err != nil {
			r.listingFailed([]int{i}, fmt.Sprintf("the listing of tag %s in %s", answer.Quote(rule.tag()), region), len(listed), err)
			continue
		}
		complete[i] = true
	}
	r.decideAndMove(ctx, region, instances, complete)
}

// Apply lists the named instances of region by id, then decides and moves.
// When the listing fails, no rule moves anything.
func (r *Run) Apply(ctx context.Context, region string, ids []string) {
	listed, reqIDs, err := r.list(ctx, region, listing.Query{InstanceIDs: ids})
	r.noteCalls(reqIDs)
	all := make([]int, len(r.rules))
	for i := range r.rules {
		all[i] = i
		r.out.Rules[i].RequestIds = appendUnique(r.out.Rules[i].RequestIds, reqIDs...)
	}
	if err != nil {
		r.listingFailed(all, fmt.Sprintf("the listing of the %d instances named in %s", len(ids), region), len(listed), err)
		return
	}
	found := make(map[string]bool, len(listed))
	for _, in := range listed {
		found[in.ID] = true
	}
	for _, id := range ids {
		if !found[id] {
			r.out.NotFound = append(r.out.NotFound, id)
		}
	}
	r.decideAndMove(ctx, region, listed, nil)
}

// decideAndMove decides for the instances listed in region, moves them
// (unless it is a dry run, or they are more than MaxInstances), and adds
// the outcome to the reports: each rule's Failed lists exactly its
// instances that did not move, each with its own code.
func (r *Run) decideAndMove(ctx context.Context, region string, instances []cvm.Instance, complete []bool) {
	d := Decide(r.rules, complete, instances)
	toMove := 0
	for _, m := range d.Moves {
		toMove += len(m.InstanceIDs)
	}
	if !r.dryRun && r.out.Refused == nil && r.MaxInstances > 0 && r.moving+toMove > r.MaxInstances {
		r.out.Refused = answer.Errorf(answer.CodeLimitExceeded, "the rules would move %d instances; at most %d are allowed in one invocation (MAX_INSTANCES), so nothing was moved", r.moving+toMove, r.MaxInstances)
	}
	failed := map[string]answer.Failure{}
	requestOf := map[string]string{} // instance → the RequestId of its batch
	for _, m := range d.Moves {
		if r.dryRun {
			r.out.WouldMove += len(m.InstanceIDs)
			continue
		}
		if r.out.Refused != nil {
			continue
		}
		r.moving += len(m.InstanceIDs)
		mv := r.move(ctx, region, m.ProjectID, m.InstanceIDs)
		r.out.Failed = append(r.out.Failed, mv.Failed...)
		r.out.IsolationCalls += mv.IsolationCalls
		for _, f := range mv.Failed {
			failed[f.InstanceId] = f
		}
		for _, b := range mv.Batches {
			r.out.Batches = append(r.out.Batches, b)
			r.noteCalls([]string{b.RequestId})
			for _, id := range b.InstanceIds {
				requestOf[id] = b.RequestId
				// An isolated batch's instances that did not move are in
				// mv.Failed; a batch that failed as a whole moved none.
				if !b.Isolated && b.Code != answer.CodeSuccess {
					failed[id] = answer.Failure{InstanceId: id, Code: b.Code, Message: b.Message}
				}
			}
		}
	}
	for i, rd := range d.Rules {
		rep := &r.out.Rules[i]
		rep.Matched += rd.Matched
		rep.AlreadyInProject += rd.AlreadyInProject
		rep.Conflicts = append(rep.Conflicts, rd.Conflicts...)
		if r.out.Refused != nil && !r.dryRun {
			continue
		}
		for _, id := range rd.Moved {
			if f, ok := failed[id]; ok {
				rep.Failed = append(rep.Failed, f)
			} else {
				rep.Moved = append(rep.Moved, id)
			}
			rep.RequestIds = appendUnique(rep.RequestIds, requestOf[id])
		}
	}
}

// listingFailed reports a listing that did not complete on each of rules.
func (r *Run) listingFailed(rules []int, what string, listed int, err error) {
	f, reqID := answer.FromListing(what, listed, err)
	for _, i := range rules {
		r.out.Rules[i].Failed = append(r.out.Rules[i].Failed, f)
	}
	if r.out.ListingFailure == nil {
		r.out.ListingFailure, r.out.ListingRequest = &f, reqID
	}
}

func (r *Run) noteCalls(reqIDs []string) {
	for _, id := range reqIDs {
		if r.out.FirstRequestID == "" && id != "" {
			r.out.FirstRequestID = id
		}
	}
}

// Outcome is what the run did, for answer.Build; named is the instances
// asked about (nil for a reconciliation).
func (r *Run) Outcome(named []string) answer.Outcome {
	o := r.out
	o.InstanceIds, o.RulesDryRun = named, r.dryRun
	return o
}

// appendUnique appends the non-empty values of add not in list yet. It
// looks at the last value first: a batch's instances come one after another.
func appendUnique(list []string, add ...string) []string {
	for _, s := range add {
		if s != "" && (len(list) == 0 || list[len(list)-1] != s) && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}
