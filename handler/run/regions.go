package run

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/rules"
)

// reconcile runs set over p's regions (its Region, a list, or every region
// DescribeRegions lists as available), each on its own goroutine paced by
// the client's per-action rates; a failed region is unfinished work and the
// others go on. An account too large for one invocation is fanned out
// (fanout.go; docs/account.md).
func (x *exec) reconcile(ctx context.Context, p Plan, set []rules.Rule) answer.Outcome {
	rr := p.Rules
	regions := rr.Regions
	if rr.AllRegions {
		var f *answer.Failure
		var reqID string
		if regions, reqID, f = x.availableRegions(ctx, rr.Region); f != nil {
			o := x.ruleRun(set, p.DryRun, false, p.MaxInstances).Outcome(nil)
			o.ListingFailure, o.ListingRequest, o.FirstRequestID = f, reqID, reqID
			o.Reconciliation = true
			return o
		}
	}
	if len(regions) == 0 {
		regions = []string{rr.Region}
	}
	if !p.DryRun && len(regions) > 1 && x.FanOut.SCF != nil && x.FanOut.FunctionName != "" {
		if est, left, ok := x.estimate(ctx, regions, set); ok && est > left {
			return x.fanOut(ctx, p, set, regions, fmt.Sprintf("at the documented limits the reconciliation would take about %s, more than the %s left", est.Round(1e9), left.Round(1e9)))
		}
	}
	outs := make([]answer.Outcome, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					x.inv.Panicked(&cvm.PanicError{Value: v, Stack: debug.Stack()})
					e := answer.Internal(x.inv.ID)
					o := x.ruleRun(set, p.DryRun, false, 0).Outcome(nil)
					o.ListingFailure = &answer.Failure{Code: e.Code, Message: "region " + region + ": " + e.Message}
					outs[i] = o
				}
			}()
			run := x.ruleRun(set, p.DryRun, false, p.MaxInstances)
			run.Reconcile(ctx, region)
			x.sweepRecords(ctx, region, p.DryRun)
			outs[i] = run.Outcome(nil)
		})
	}
	wg.Wait()
	o := merge(outs)
	o.Reconciliation = true
	o.Regions = make([]answer.RegionReport, len(regions))
	for i, region := range regions {
		b := answer.Build(outs[i])
		o.Regions[i] = answer.RegionReport{Region: region, RequestId: b.RequestId, Code: b.Code, Message: b.Message, Compliance: answer.ComplianceOf(outs[i].Rules)}
	}
	return o
}

// merge is what the regions' runs did together: each rule's reports
// summed, the batches and failures of every region, the first failure
// (in the regions' order) at the top.
func merge(outs []answer.Outcome) answer.Outcome {
	if len(outs) == 1 {
		return outs[0]
	}
	var o answer.Outcome
	for _, r := range outs {
		if o.Rules == nil {
			o.Rules = slices.Clone(r.Rules)
			for i := range o.Rules {
				rep := &o.Rules[i]
				rep.Moved, rep.Conflicts, rep.Failed, rep.RequestIds = slices.Clone(rep.Moved), slices.Clone(rep.Conflicts), slices.Clone(rep.Failed), slices.Clone(rep.RequestIds)
			}
		} else {
			for i, rep := range r.Rules {
				m := &o.Rules[i]
				m.Matched += rep.Matched
				m.AlreadyInProject += rep.AlreadyInProject
				m.Moved = append(m.Moved, rep.Moved...)
				m.Conflicts = append(m.Conflicts, rep.Conflicts...)
				m.Failed = append(m.Failed, rep.Failed...)
				m.RequestIds = append(m.RequestIds, rep.RequestIds...)
			}
		}
		o.Batches = append(o.Batches, r.Batches...)
		o.Failed = append(o.Failed, r.Failed...)
		o.IsolationCalls += r.IsolationCalls
		o.NotFound = append(o.NotFound, r.NotFound...)
		o.WouldMove += r.WouldMove
		o.RulesDryRun = o.RulesDryRun || r.RulesDryRun
		if o.Refused == nil && r.Refused != nil {
			o.Refused = r.Refused
		}
		if o.ListingFailure == nil && r.ListingFailure != nil {
			o.ListingFailure, o.ListingRequest = r.ListingFailure, r.ListingRequest
		}
		if o.FirstRequestID == "" {
			o.FirstRequestID = r.FirstRequestID
		}
	}
	return o
}

// availableRegions lists the regions whose RegionState is AVAILABLE
// (DescribeRegions, sent from home, the function's region).
func (x *exec) availableRegions(ctx context.Context, home string) ([]string, string, *answer.Failure) {
	var out cvm.RegionSet
	res, err := x.CVM.Call(ctx, x.inv.Keys, home, cvm.DescribeRegions{}, &out)
	if err != nil {
		code, msg := answer.FromCall(res, err, x.inv.ID)
		return nil, res.RequestID, &answer.Failure{Code: code, Message: "listing the regions (DescribeRegions) failed, so nothing was moved: " + msg}
	}
	var regions []string
	for _, r := range out.RegionSet {
		if r.RegionState == cvm.RegionAvailable && !slices.Contains(regions, r.Region) {
			regions = append(regions, r.Region)
		}
	}
	if len(regions) == 0 {
		return nil, res.RequestID, &answer.Failure{Code: answer.CodeInternalError, Message: "DescribeRegions listed no available region (RequestId " + res.RequestID + ")"}
	}
	return regions, res.RequestID, nil
}
