package handler

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/batch"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/rules"
)

// run carries out p with the invocation's keys (creds, renewed by inv.keys
// when they expire) and says what it did, verified (verify.go). Every
// upstream call goes through cvm's one call path: MoveInstances for moves,
// ListInstances for listings.
func (h *Handler) run(ctx context.Context, p plan, creds credentials.Credentials, inv *invocation) answer.Outcome {
	vf := h.newVerifier(inv)
	o := h.runPlan(ctx, p, creds, inv, vf)
	vf.attach(&o)
	return o
}

func (h *Handler) runPlan(ctx context.Context, p plan, creds credentials.Credentials, inv *invocation, vf *verifier) answer.Outcome {
	switch p.kind {
	case planMove:
		if p.dryRun {
			return vf.dryRun(ctx, p.move.Region, p.move.ProjectID, p.move.InstanceIDs, creds)
		}
		skip := h.SkipInvalid
		if p.move.SkipInvalid != nil {
			skip = *p.move.SkipInvalid
		}
		projectID := p.move.ProjectID
		batches, failed, calls := vf.move(ctx, p.move.Region, projectID, p.move.InstanceIDs, skip)
		return answer.Outcome{ProjectId: &projectID, InstanceIds: p.move.InstanceIDs, Batches: batches, Failed: failed, IsolationCalls: calls}
	case planRules:
		run := h.ruleRun(inv, vf, p.rules.Rules, p.dryRun, false)
		if p.rules.InstanceIDs == nil {
			run.Reconcile(ctx, p.rules.Region)
		} else {
			run.Apply(ctx, p.rules.Region, p.rules.InstanceIDs)
		}
		return run.Outcome(p.rules.InstanceIDs)
	case planEvents:
		run := h.ruleRun(inv, vf, h.Rules, p.dryRun, true)
		for _, t := range p.targets {
			run.Apply(ctx, t.Region, t.InstanceIDs)
		}
		return run.Outcome(p.named)
	}
	return answer.Outcome{ListingFailure: &answer.Failure{Code: answer.CodeInternalError, Message: "the plan has no kind"}}
}

// move moves ids into projectID in region, in batches, isolating the
// offending instances of a refused batch when skip says so.
func (h *Handler) move(ctx context.Context, inv *invocation, region string, projectID int64, ids []string, skip bool) ([]answer.Batch, []answer.Failure, int) {
	return answer.FromBatches(h.sendMoves(ctx, inv, region, projectID, ids, skip), invocationID(ctx))
}

// sendMoves is move's batch.Move, with each batch's outcome.
func (h *Handler) sendMoves(ctx context.Context, inv *invocation, region string, projectID int64, ids []string, skip bool) []batch.Outcome {
	return batch.Move(ctx, h.CVM, inv.keys, region, projectID, ids, batch.Options{
		MaxConcurrency: h.MaxConcurrency,
		SkipInvalid:    skip,
		Panicked: func(_ []string, p *batch.PanicError) {
			// In a batch's goroutine, where Invoke's recover cannot reach: the
			// other batches' outcomes are kept.
			h.logPanic(ctx, inv, p.Value, p.Stack)
		},
	})
}

// ruleRun is a run of set that lists and moves through the same call path
// as every move, with the invocation's keys; its listings are the reads
// before the moves that vf verifies. With reread (events), instances named
// but not listed yet are read again for a short time (listNamed).
func (h *Handler) ruleRun(inv *invocation, vf *verifier, set []rules.Rule, dryRun, reread bool) *rules.Run {
	list := func(ctx context.Context, region string, q cvm.Query) ([]cvm.Instance, []string, error) {
		var listed []cvm.Instance
		var reqIDs []string
		var err error
		if reread {
			listed, reqIDs, err = h.listNamed(ctx, inv, region, q)
		} else {
			listed, reqIDs, err = cvm.ListInstances(ctx, h.CVM, inv.keys, region, q)
		}
		vf.note(region, listed)
		return listed, reqIDs, err
	}
	move := func(ctx context.Context, region string, projectID int64, ids []string) rules.Moved {
		batches, failed, calls := vf.move(ctx, region, projectID, ids, h.SkipInvalid)
		return rules.Moved{Batches: batches, Failed: failed, IsolationCalls: calls}
	}
	run := rules.NewRun(set, dryRun, list, move)
	run.MaxInstances = h.Security.InstanceLimit()
	return run
}

// dryRun batches and signs a move exactly as move does, and sends nothing.
// Every batch that could be signed is answered DryRunOperation.
func (h *Handler) dryRun(ctx context.Context, region string, projectID int64, ids []string, creds credentials.Credentials) answer.Outcome {
	d := &answer.DryRun{Region: region, Credentials: creds.Source, Batches: []answer.DryRunBatch{}}
	o := answer.Outcome{ProjectId: &projectID, InstanceIds: ids, DryRun: d}
	for group := range slices.Chunk(ids, cvm.MaxInstancesPerCall) {
		b := answer.Batch{InstanceIds: group, Code: answer.CodeDryRun}
		p, err := h.prepare(ctx, creds, region, cvm.ModifyInstancesProject{InstanceIds: group, ProjectId: projectID})
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			b.Code, b.Message = answer.CodeDeadlineExceeded, "not signed: the invocation's deadline ran out"
		case err != nil:
			b.Code, b.Message = answer.CodeInternalError, "the batch could not be signed: "+err.Error()
		default:
			d.Action, d.Endpoint, d.SignatureMethod, d.Version = p.Action, p.Endpoint, p.SignatureMethod, p.Version
			d.Batches = append(d.Batches, answer.DryRunBatch{Params: p.Params, Payload: p.Payload})
		}
		o.Batches = append(o.Batches, b)
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "dry run",
		slog.String("function_request_id", invocationID(ctx)),
		slog.String("endpoint", d.Endpoint),
		slog.String("signature_method", d.SignatureMethod),
		slog.Int("batches", len(d.Batches)),
		slog.String("code", answer.Build(o).Code),
	)
	return o
}

func (h *Handler) prepare(ctx context.Context, creds credentials.Credentials, region string, action cvm.Action) (cvm.Prepared, error) {
	if h.Preparer == nil {
		return cvm.Prepared{}, errors.New("this function has no client to sign with")
	}
	return h.Preparer.Prepare(ctx, creds, region, action)
}
