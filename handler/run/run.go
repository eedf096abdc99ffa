package run

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/batch"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/trigger"
)

// Kind is what a plan does.
type Kind int

// The kinds of plan.
const (
	Move   Kind = iota + 1 // ModifyInstancesProject for named instances (or its dry run)
	Rules                  // the rules of a request: a reconciliation, or named instances
	Events                 // the configured rules, for the instances EventBridge events name
)

// Plan is what an invocation will do, decided before any I/O (the
// handler's plan step): exactly one of Move, Rules and Targets is set, as
// Kind says.
type Plan struct {
	Kind   Kind
	DryRun bool

	Move    request.Move     // Move
	Rules   rules.Request    // Rules
	Targets []trigger.Target // Events: the instances, region by region
	Named   []string         // Events: every instance the events name
}

// Preparer builds and signs a call without sending it, for dry runs;
// *cvm.Client is one.
type Preparer interface {
	Prepare(ctx context.Context, creds credentials.Credentials, region string, action cvm.Action) (cvm.Prepared, error)
}

// Runner carries out one invocation's plan: every upstream call goes
// through cvm's one call path (batch.Move for moves, listing.Instances for
// listings, batch.Confirm for the confirmation), with the invocation's
// keys, and each move is verified (verify.go) unless Verify says not to.
type Runner struct {
	CVM      cvm.Caller
	Preparer Preparer
	// Keys gives the keys of each call (the invocation's, renewed when they
	// expire); Creds are the keys as first retrieved: a dry run signs with
	// them and names their source.
	Keys  credentials.Provider
	Creds credentials.Credentials

	MaxConcurrency int          // batches in flight (MAX_CONCURRENCY)
	SkipInvalid    bool         // SKIP_INVALID, when a request does not say
	Rules          []rules.Rule // the configured rules, for events
	InstanceLimit  int          // MAX_INSTANCES, which bounds a rule run's moves

	Verify       config.Verify        // VERIFY, KEEP_SECURITY_GROUPS
	Confirm      batch.ConfirmOptions // the waiter's timing
	RereadDelays []time.Duration      // nil: DefaultRereadDelays
	Sleep        func(context.Context, time.Duration) error

	Logger       *slog.Logger
	InvocationID string
	// Panicked is told of a panic in a batch's goroutine, where no recover
	// of the caller's reaches: the batch is reported InternalError.
	Panicked func(*cvm.PanicError)
}

// Run carries out p and says what it did, verified.
func (r *Runner) Run(ctx context.Context, p Plan) answer.Outcome {
	vf := r.newVerifier()
	o := r.run(ctx, p, vf)
	vf.attach(&o)
	return o
}

func (r *Runner) run(ctx context.Context, p Plan, vf *verifier) answer.Outcome {
	switch p.Kind {
	case Move:
		if p.DryRun {
			return vf.dryRun(ctx, p.Move.Region, p.Move.ProjectID, p.Move.InstanceIDs)
		}
		skip := r.SkipInvalid
		if p.Move.SkipInvalid != nil {
			skip = *p.Move.SkipInvalid
		}
		projectID := p.Move.ProjectID
		batches, failed, calls, _ := vf.move(ctx, p.Move.Region, projectID, p.Move.InstanceIDs, skip) // FAILED operations: the verification's
		return answer.Outcome{ProjectId: &projectID, InstanceIds: p.Move.InstanceIDs, Batches: batches, Failed: failed, IsolationCalls: calls}
	case Rules:
		run := r.ruleRun(vf, p.Rules.Rules, p.DryRun, false)
		if p.Rules.InstanceIDs == nil {
			run.Reconcile(ctx, p.Rules.Region)
		} else {
			run.Apply(ctx, p.Rules.Region, p.Rules.InstanceIDs)
		}
		return run.Outcome(p.Rules.InstanceIDs)
	case Events:
		run := r.ruleRun(vf, r.Rules, p.DryRun, true)
		for _, t := range p.Targets {
			run.Apply(ctx, t.Region, t.InstanceIDs)
		}
		return run.Outcome(p.Named)
	}
	return answer.Outcome{ListingFailure: &answer.Failure{Code: answer.CodeInternalError, Message: "the plan has no kind"}}
}

// move moves ids into projectID in region, in batches, isolating the
// offending instances of a refused batch when skip says so.
func (r *Runner) move(ctx context.Context, region string, projectID int64, ids []string, skip bool) ([]answer.Batch, []answer.Failure, int) {
	return answer.FromBatches(r.sendMoves(ctx, region, projectID, ids, skip), r.InvocationID)
}

// sendMoves is move's batch.Move, with each batch's outcome.
func (r *Runner) sendMoves(ctx context.Context, region string, projectID int64, ids []string, skip bool) []batch.Outcome {
	return batch.Move(ctx, r.CVM, r.Keys, region, projectID, ids, batch.Options{
		MaxConcurrency: r.MaxConcurrency,
		SkipInvalid:    skip,
		Panicked: func(_ []string, p *cvm.PanicError) {
			if r.Panicked != nil {
				r.Panicked(p)
			}
		},
	})
}

// ruleRun is a run of set that lists and moves through the same call path
// as every move; its listings are the reads before the moves that vf
// verifies. With reread (events), instances named but not listed yet are
// read again for a short time (listNamed).
func (r *Runner) ruleRun(vf *verifier, set []rules.Rule, dryRun, reread bool) *rules.Run {
	list := func(ctx context.Context, region string, q listing.Query) ([]cvm.Instance, []string, error) {
		var listed []cvm.Instance
		var reqIDs []string
		var err error
		if reread {
			listed, reqIDs, err = r.listNamed(ctx, region, q)
		} else {
			listed, reqIDs, err = listing.Instances(ctx, r.CVM, r.Keys, region, q)
		}
		vf.note(region, listed)
		return listed, reqIDs, err
	}
	move := func(ctx context.Context, region string, projectID int64, ids []string) rules.Moved {
		batches, failed, calls, opFailed := vf.move(ctx, region, projectID, ids, r.SkipInvalid)
		// An instance whose operation ended FAILED did not move: its rule
		// says so (the top-level Failed lists it once).
		return rules.Moved{Batches: batches, Failed: append(failed, opFailed...), IsolationCalls: calls}
	}
	run := rules.NewRun(set, dryRun, list, move)
	run.MaxInstances = r.InstanceLimit
	return run
}

// dryRun batches and signs a move exactly as move does, and sends nothing.
// Every batch that could be signed is answered DryRunOperation.
func (r *Runner) dryRun(ctx context.Context, region string, projectID int64, ids []string) answer.Outcome {
	d := &answer.DryRun{Region: region, Credentials: r.Creds.Source, Batches: []answer.DryRunBatch{}}
	o := answer.Outcome{ProjectId: &projectID, InstanceIds: ids, DryRun: d}
	for group := range slices.Chunk(ids, cvm.MaxInstancesPerCall) {
		b := answer.Batch{InstanceIds: group, Code: answer.CodeDryRun}
		p, err := r.prepare(ctx, region, cvm.ModifyInstancesProject{InstanceIds: group, ProjectId: projectID})
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
	r.logger().LogAttrs(ctx, slog.LevelInfo, "dry run",
		slog.String("function_request_id", r.InvocationID),
		slog.String("endpoint", d.Endpoint),
		slog.String("signature_method", d.SignatureMethod),
		slog.Int("batches", len(d.Batches)),
		slog.String("code", answer.Build(o).Code),
	)
	return o
}

func (r *Runner) prepare(ctx context.Context, region string, action cvm.Action) (cvm.Prepared, error) {
	if r.Preparer == nil {
		return cvm.Prepared{}, errors.New("this function has no client to sign with")
	}
	return r.Preparer.Prepare(ctx, r.Creds, region, action)
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
