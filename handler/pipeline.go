package handler

import (
	"context"
	"log/slog"
	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/run"
	"scf-cvm-project/handler/trigger"
	"slices"
)

// plan is what an invocation will do, decided before any I/O: the run's
// plan, and what the pipeline needs beside it.
type plan struct {
	run.Plan

	// What a refusal echoes beside Named: the project asked for.
	projectID *int64

	// async: a direct invocation asked to be answered as an asynchronous one
	// (the request's Async), see Invoke.
	async bool
}

// answer takes every kind of invocation through the same steps, in order,
// so that every refusal comes before any write.
func (h *Handler) answer(ctx context.Context, ev trigger.Event, decodeErr *answer.Error, inv *invocation) answer.Answer {
	if h.ConfigErr != nil {
		return answer.Failed(h.ConfigErr, nil, nil)
	}
	// An HTTP caller is authenticated (even before being told what is
	// wrong with its event, when its headers could be read).
	if ev.HTTP != nil {
		if err := h.guardHTTP(ctx, ev); err != nil {
			return answer.Failed(err, nil, nil)
		}
	}
	if decodeErr != nil {
		return answer.Failed(decodeErr, nil, nil)
	}
	p, err := h.plan(ev)
	inv.async = p.async
	if err != nil {
		return answer.Failed(err, p.Named, p.projectID)
	}

	var cancel context.CancelFunc
	if d, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, d.Add(-h.AnswerMargin))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	inv.keys = &credentials.Renewing{Provider: h.Credentials}
	creds, cerr := inv.keys.Retrieve(ctx)
	if cerr != nil {
		return answer.Failed(answer.FromCredentials(cerr), p.Named, p.projectID)
	}
	if err := h.resolveProjects(ctx, inv.keys, &p); err != nil {
		return answer.Failed(err, p.Named, p.projectID)
	}

	o := h.Run(ctx, run.Invocation{Keys: inv.keys, Creds: creds, ID: invocationID(ctx), Panicked: func(p *cvm.PanicError) {
		// In a batch's goroutine, where Invoke's recover cannot reach: the
		// other batches' outcomes are kept.
		h.logPanic(ctx, inv, p.Value, p.Stack)
	}}, p.Plan)
	o.CredentialSource = creds.Source
	return answer.Build(o)
}

// plan reads and checks what the event asks for, and decides what to do,
// with no I/O: its refusals come before any upstream call.
func (h *Handler) plan(ev trigger.Event) (plan, *answer.Error) {
	if ev.Kind == trigger.KindEventBridge {
		return h.planEvents(ev.CloudEvents)
	}
	raw, err := ev.Request()
	p := plan{Plan: run.Plan{Named: raw.InstanceIDs}, projectID: raw.ProjectID, async: raw.Async}
	if err != nil {
		return p, err
	}
	p.DryRun = h.Security.DryRun // DRY_RUN, unless the request says
	if raw.DryRun != nil {
		p.DryRun = *raw.DryRun
	}
	// The tag rules, rather than a move into one project.
	if raw.Rules != nil || raw.Reconcile || (len(h.Rules) > 0 && raw.HasInstanceIDs && !raw.HasProjectID && raw.ProjectName == nil) {
		rr, err := rules.Validate(raw, h.DefaultRegion, h.Rules, h.Security.InstanceLimit(), p.DryRun)
		if err == nil {
			err = rules.WithRegions(&rr, raw, h.Account.Regions, h.Account.AllRegions)
		}
		if err == nil {
			err = rules.AllowProjects(rr.Rules, false, h.Security.AllowProject) // names: once resolved (resolveProjects)
		}
		p.Kind, p.Rules, p.MaxInstances = run.Rules, rr, h.Security.InstanceLimit()
		return p, err
	}
	// A move takes no Regions: they are refused, not ignored. It names its
	// project by ProjectId or by name (Project): then raw reads as a move
	// into project 0 for request.Validate, and the name is resolved before
	// the run (resolveProjects).
	if request.Present(raw.Regions) {
		return p, answer.Errorf(answer.CodeInvalidParameterValue, "Regions applies to a reconciliation (\"Reconcile\": true, or Rules); a move's instances are in Region")
	}
	var name string
	if raw.ProjectName != nil {
		if raw.HasProjectID {
			return p, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId and Project are both given; give the project's id or its name, not both")
		}
		var msg string
		if name, msg = rules.ProjectNameOf(raw.ProjectName); msg != "" {
			return p, answer.Errorf(answer.CodeInvalidParameterValue, "Project %s", msg)
		}
		zero := int64(0)
		raw.ProjectID, raw.HasProjectID = &zero, true
	}
	req, err := request.Validate(raw, h.DefaultRegion, h.Security.InstanceLimit())
	req.ProjectName = name
	if err == nil && name == "" { // a name is checked once resolved (resolveProjects)
		err = h.Security.AllowProject(req.ProjectID)
	}
	p.Kind, p.Move = run.Move, req
	return p, err
}

// planEvents plans an EventBridge delivery: the configured rules, applied
// to the instances the events name, region by region.
func (h *Handler) planEvents(evs []trigger.CloudEvent) (plan, *answer.Error) {
	// The function's own record tags come back as tag events: nothing to do.
	others := slices.DeleteFunc(slices.Clone(evs), func(e trigger.CloudEvent) bool { return e.WritesOnlyTag(run.RecordKey) })
	if len(others) == 0 && len(evs) > 0 {
		return plan{}, &answer.Error{Code: answer.CodeNoInstances, Message: "the events are the function's own security-group records (tag " + run.RecordKey + "); nothing to do"}
	}
	targets, err := trigger.Targets(others, h.DefaultRegion)
	if err != nil {
		return plan{}, err
	}
	p := plan{Plan: run.Plan{Kind: run.Events, Targets: targets, EventRules: h.Rules, DryRun: h.Security.DryRun, MaxInstances: h.Security.InstanceLimit()}}
	for _, t := range targets {
		p.Named = append(p.Named, t.InstanceIDs...)
	}
	if limit := h.Security.InstanceLimit(); len(p.Named) > limit {
		return p, answer.Errorf(answer.CodeLimitExceeded, "the event names %d instances; at most %d are allowed in one invocation (MAX_INSTANCES)", len(p.Named), limit)
	}
	if len(p.Named) == 0 {
		return p, &answer.Error{Code: answer.CodeNoInstances, Message: "the event names no instance (in its subject, resource or data); nothing to do"}
	}
	if len(h.Rules) == 0 {
		return p, answer.Errorf(answer.CodeMissingParameter, "the event names instances, but the function has no rules to apply to them; configure %s or %s", rules.EnvRulesFile, rules.EnvProjectRules)
	}
	return p, nil
}

// guardHTTP checks an HTTP event's request (guard.Security.CheckHTTP); a
// refusal's reason, and what API Gateway said of an anonymous caller, go to
// the log only.
func (h *Handler) guardHTTP(ctx context.Context, ev trigger.Event) *answer.Error {
	refusal, reason := h.Security.CheckHTTP(ev.HTTP.Method, ev.HTTP.Headers)
	attrs := []slog.Attr{
		slog.String("event", string(ev.Kind)),
		slog.String("method", ev.HTTP.Method),
		slog.String("source_ip", ev.HTTP.SourceIP),
		slog.String("gateway_request_id", ev.HTTP.RequestID),
	}
	if refusal != nil {
		attrs = append(attrs, slog.String("code", refusal.Code), slog.String("reason", reason))
		h.Logger.LogAttrs(ctx, slog.LevelWarn, "HTTP request refused", attrs...)
		return refusal
	}
	if h.Security.TokenSHA256 == nil {
		attrs = append(attrs,
			slog.String("service_id", ev.HTTP.ServiceID),
			slog.String("stage", ev.HTTP.Stage),
			slog.String("identity_secret_id", ev.HTTP.IdentitySecretID),
			slog.String("anonymous_consumer", ev.HTTP.Headers["x-anonymous-consumer"]),
		)
		h.Logger.LogAttrs(ctx, slog.LevelInfo, "anonymous HTTP request ("+guard.EnvAllowAnonymousHTTP+")", attrs...)
	}
	return nil
}

// resolveProjects resolves the project names of p and ALLOWED_PROJECT_IDS
// (rules.Projects) and applies ALLOWED_PROJECT_IDS to the ids, so every
// refusal still comes before any write. Without names it calls nothing.
func (h *Handler) resolveProjects(ctx context.Context, keys credentials.Provider, p *plan) *answer.Error {
	var names []string
	switch p.Kind {
	case run.Move:
		if p.Move.ProjectName != "" {
			names = append(names, p.Move.ProjectName)
		}
	case run.Rules:
		names = rules.Names(p.Rules.Rules)
	case run.Events:
		names = rules.Names(p.EventRules)
	}
	for _, n := range h.Security.AllowedProjectNames {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	ids, err := h.Projects.Resolve(ctx, keys, h.DefaultRegion, names)
	if err != nil {
		return err
	}
	security := h.Security.WithNames(ids)
	switch p.Kind {
	case run.Move:
		if n := p.Move.ProjectName; n != "" {
			id := ids[n]
			p.Move.ProjectID, p.projectID = id, &id
		}
		return security.AllowProject(p.Move.ProjectID)
	case run.Rules:
		p.Rules.Rules = rules.WithIDs(p.Rules.Rules, ids)
		return rules.AllowProjects(p.Rules.Rules, true, security.AllowProject)
	case run.Events:
		p.EventRules = rules.WithIDs(p.EventRules, ids)
		return rules.AllowProjects(p.EventRules, true, security.AllowProject)
	}
	return nil
}
