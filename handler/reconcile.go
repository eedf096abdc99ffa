package handler

import (
	"context"
	"errors"
	"fmt"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// answerRules answers a request for the tag rules: a reconciliation of the
// region, or the rules applied to the request's instances.
func (h *Handler) answerRules(ctx context.Context, raw RawRequest, secrets *redactor) Answer {
	rr, err := ValidateRuleRequest(raw, h.DefaultRegion, h.Rules, h.Security.maxInstances(), h.Security.dryRun(raw.DryRun))
	if err == nil {
		err = h.Security.allowRules(rr.Rules)
	}
	if err != nil {
		return FailedAnswer(err, raw)
	}
	creds, cerr := h.retrieveCredentials(ctx)
	if cerr != nil {
		return FailedAnswer(credentialsError(cerr), raw)
	}
	*secrets = secrets.with(creds.SecretKey, creds.Token)
	r := h.newRuleRun(ctx, creds, rr.Rules, rr.DryRun)
	if rr.InstanceIDs == nil {
		r.reconcile(rr.Region)
	} else {
		r.apply(target{Region: rr.Region, InstanceIDs: rr.InstanceIDs})
	}
	a := r.answer(rr.InstanceIDs)
	a.CredentialSource = creds.Source
	return a
}

// answerEvents answers an EventBridge delivery: the configured rules,
// applied to the instances the events name, as they are now (the events may
// be stale or partial: DescribeInstances says their tags and project).
func (h *Handler) answerEvents(ctx context.Context, evs []CloudEvent, secrets *redactor) Answer {
	targets, err := cloudEventTargets(evs, h.DefaultRegion)
	if err != nil {
		return FailedAnswer(err, RawRequest{})
	}
	var named []string
	for _, t := range targets {
		named = append(named, t.InstanceIDs...)
	}
	if len(named) == 0 {
		return FailedAnswer(&Error{Code: CodeNoInstances, Message: "the event names no instance (in its subject, resource or data); nothing to do"}, RawRequest{})
	}
	if len(h.Rules) == 0 {
		return FailedAnswer(errorf(CodeMissingParameter, "the event names instances, but the function has no rules to apply to them; configure %s or %s", EnvRulesFile, EnvProjectRules),
			RawRequest{InstanceIDs: named})
	}
	creds, cerr := h.retrieveCredentials(ctx)
	if cerr != nil {
		return FailedAnswer(credentialsError(cerr), RawRequest{InstanceIDs: named})
	}
	*secrets = secrets.with(creds.SecretKey, creds.Token)
	r := h.newRuleRun(ctx, creds, h.Rules, h.Security.DryRun)
	for _, t := range targets {
		r.apply(t)
	}
	a := r.answer(named)
	a.CredentialSource = creds.Source
	return a
}

// ruleRun is one evaluation of a rule set, over one or more regions: the
// listings, the decision, the moves, and what each rule reports.
type ruleRun struct {
	h      *Handler
	ctx    context.Context
	creds  credentials.Credentials
	rules  []Rule
	dryRun bool

	reports   []RuleReport // one per rule
	batches   []Batch
	notFound  []string
	wouldMove int // in a dry run

	firstRequestID string   // of the first call answered
	failure        *Failure // the first listing that failed
	failureReqID   string
}

func (h *Handler) newRuleRun(ctx context.Context, creds credentials.Credentials, rules []Rule, dryRun bool) *ruleRun {
	r := &ruleRun{h: h, ctx: ctx, creds: creds, rules: rules, dryRun: dryRun, reports: make([]RuleReport, len(rules))}
	for i, rule := range rules {
		r.reports[i] = newRuleReport(rule)
	}
	return r
}

// reconcile lists, rule by rule, the instances of the region that have the
// rule's tag, then decides and moves. A rule whose listing fails moves
// nothing; the others go on.
func (r *ruleRun) reconcile(region string) {
	var instances []cvm.Instance
	complete := make([]bool, len(r.rules))
	for i, rule := range r.rules {
		listed, reqIDs, err := cvm.ListInstances(r.ctx, boundedCaller{r.h}, r.creds, region, cvm.Query{Filters: []cvm.Filter{rule.Filter()}})
		r.noteCalls(reqIDs)
		r.reports[i].RequestIds = appendUnique(r.reports[i].RequestIds, reqIDs...)
		instances = append(instances, listed...)
		if err != nil {
			r.listingFailed([]int{i}, fmt.Sprintf("the listing of tag %s in %s", quote(rule.tag()), region), len(listed), err)
			continue
		}
		complete[i] = true
	}
	r.decideAndMove(region, instances, complete)
}

// apply lists the target's instances by id, then decides and moves. When
// the listing fails, no rule moves anything.
func (r *ruleRun) apply(t target) {
	listed, reqIDs, err := cvm.ListInstances(r.ctx, boundedCaller{r.h}, r.creds, t.Region, cvm.Query{InstanceIDs: t.InstanceIDs})
	r.noteCalls(reqIDs)
	all := make([]int, len(r.rules))
	for i := range r.rules {
		all[i] = i
		r.reports[i].RequestIds = appendUnique(r.reports[i].RequestIds, reqIDs...)
	}
	if err != nil {
		r.listingFailed(all, fmt.Sprintf("the listing of the %d instances named in %s", len(t.InstanceIDs), t.Region), len(listed), err)
		return
	}
	found := make(map[string]bool, len(listed))
	for _, in := range listed {
		found[in.ID] = true
	}
	for _, id := range t.InstanceIDs {
		if !found[id] {
			r.notFound = append(r.notFound, id)
		}
	}
	r.decideAndMove(t.Region, listed, nil)
}

// decideAndMove decides for the instances listed in region, moves them
// (unless it is a dry run) through the same batched path as every move, and
// adds the outcome to the reports.
func (r *ruleRun) decideAndMove(region string, instances []cvm.Instance, complete []bool) {
	d := Decide(r.rules, complete, instances)
	failed := map[string]Failure{}
	requestOf := map[string]string{} // instance → the RequestId of its batch
	for _, m := range d.Moves {
		if r.dryRun {
			r.wouldMove += len(m.InstanceIDs)
			continue
		}
		a := r.h.move(r.ctx, Request{InstanceIDs: m.InstanceIDs, ProjectID: m.ProjectID, Region: region}, r.creds)
		for _, b := range a.Batches {
			r.batches = append(r.batches, b)
			r.noteCalls([]string{b.RequestId})
			for _, id := range b.InstanceIds {
				requestOf[id] = b.RequestId
				if b.Code != CodeSuccess {
					failed[id] = Failure{InstanceId: id, Code: b.Code, Message: b.Message}
				}
			}
		}
	}
	for i, rd := range d.Rules {
		rep := &r.reports[i]
		rep.Matched += rd.Matched
		rep.AlreadyInProject += rd.AlreadyInProject
		rep.Conflicts = append(rep.Conflicts, rd.Conflicts...)
		batchesSeen := map[string]bool{}
		for _, id := range rd.Moved {
			if f, ok := failed[id]; ok {
				rep.Failed = append(rep.Failed, f)
			} else {
				rep.Moved = append(rep.Moved, id)
			}
			if reqID := requestOf[id]; !batchesSeen[reqID] {
				batchesSeen[reqID] = true
				rep.RequestIds = appendUnique(rep.RequestIds, reqID)
			}
		}
	}
}

// listingFailed reports a listing that did not complete on each of rules.
func (r *ruleRun) listingFailed(rules []int, what string, listed int, err error) {
	f, reqID := listingFailure(what, listed, err)
	for _, i := range rules {
		r.reports[i].Failed = append(r.reports[i].Failed, f)
	}
	if r.failure == nil {
		r.failure, r.failureReqID = &f, reqID
	}
}

// listingFailure describes a ListInstances error as a Failure of no
// instance in particular, with the RequestId of the failed call ("" when
// none answered).
func listingFailure(what string, listed int, err error) (Failure, string) {
	f := Failure{Code: CodeUpstreamUnreachable, Message: err.Error()}
	var reqID string
	var apiErr *cvm.APIError
	switch {
	case errors.As(err, &apiErr):
		f.Code, f.Message, reqID = apiErr.Code, apiErr.Message, apiErr.RequestID
	case errors.Is(err, context.DeadlineExceeded):
		f.Code, f.Message = CodeDeadlineExceeded, "the invocation's deadline ran out"
	case errors.Is(err, cvm.ErrBadResponse):
		f.Code = CodeUpstreamBadResponse
	case errors.Is(err, cvm.ErrBadQuery):
		f.Code = CodeInternalError
	}
	f.Message = fmt.Sprintf("%s stopped after %d instances, so nothing was moved for it: %s", what, listed, f.Message)
	return f, reqID
}

func (r *ruleRun) noteCalls(reqIDs []string) {
	for _, id := range reqIDs {
		if r.firstRequestID == "" && id != "" {
			r.firstRequestID = id
		}
	}
}

// answer sums the run up: at the top, the first failed listing, else the
// first failing batch, else the first batch, else the first call. named is
// the instances asked about (nil for a reconciliation).
func (r *ruleRun) answer(named []string) Answer {
	a := Answer{
		InstanceIds: append([]string{}, named...),
		Batches:     r.batches,
		Rules:       r.reports,
		NotFound:    r.notFound,
	}
	if a.Batches == nil {
		a.Batches = []Batch{}
	}
	switch {
	case r.failure != nil:
		a.RequestId, a.Code, a.Message = r.failureReqID, r.failure.Code, r.failure.Message
	case len(a.Batches) > 0:
		a.Summarize()
	default:
		a.RequestId, a.Code = r.firstRequestID, CodeSuccess
	}
	if r.dryRun && a.Code == CodeSuccess {
		a.Message = fmt.Sprintf("dry run: %d instances would move; nothing was moved", r.wouldMove)
	}
	return a
}

// boundedCaller bounds each call of a listing as every call is bounded: by
// the invocation's deadline less AnswerMargin (the client bounds each
// attempt too). A call with no time left is not sent.
type boundedCaller struct{ h *Handler }

func (b boundedCaller) Call(ctx context.Context, creds credentials.Credentials, region string, action cvm.Action, out any) (cvm.Result, error) {
	callCtx, cancel := b.h.batchContext(ctx)
	defer cancel()
	if err := callCtx.Err(); err != nil {
		return cvm.Result{}, fmt.Errorf("%s not sent: %w", action.ActionName(), err)
	}
	creds, cerr := b.h.unexpired(callCtx, creds) // an expired key is never sent
	if cerr != nil {
		return cvm.Result{}, fmt.Errorf("%s not sent: %w", action.ActionName(), cerr)
	}
	return b.h.CVM.Call(callCtx, creds, region, action, out)
}

// appendUnique appends the non-empty values of add not in list yet.
func appendUnique(list []string, add ...string) []string {
	for _, s := range add {
		if s == "" {
			continue
		}
		dup := false
		for _, have := range list {
			if have == s {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, s)
		}
	}
	return list
}
