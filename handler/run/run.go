package run

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
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

const (
	Move   Kind = iota + 1 // ModifyInstancesProject for named instances (or its dry run)
	Rules                  // the rules of a request: a reconciliation, or named instances
	Events                 // the configured rules, for the instances EventBridge events name
)

// Plan is what an invocation will do, decided before any I/O: exactly one
// of Move, Rules and Targets is set, as Kind says.
type Plan struct {
	Kind   Kind
	DryRun bool
	// MaxInstances, when above 0, bounds what a rule run may move
	// (MAX_INSTANCES).
	MaxInstances int

	Move    request.Move     // Move
	Rules   rules.Request    // Rules
	Targets []trigger.Target // Events: the instances, region by region
	Named   []string         // every instance the request or the events name (Events: the answer's InstanceIds)
	// EventRules are the configured rules, their projects' names resolved
	// (Events).
	EventRules []rules.Rule
}

// Preparer signs a call without sending it, for dry runs; *cvm.Client is one.
type Preparer interface {
	Prepare(ctx context.Context, creds credentials.Credentials, region string, action cvm.Action) (cvm.Prepared, cvm.Signed, error)
}

// Runner is the run step, built once per set of settings: every upstream
// call goes through CVM's one call path.
type Runner struct {
	CVM      cvm.Caller
	Preparer Preparer // signs a dry run's moves
	// Tags writes the records of KEEP_SECURITY_GROUPS (the Tag API); nil
	// without it.
	Tags cvm.Caller

	MaxConcurrency int           // batches between their read and their move at once (MAX_CONCURRENCY)
	SkipInvalid    bool          // SKIP_INVALID, when a request does not say
	Verify         config.Verify // VERIFY, KEEP_SECURITY_GROUPS
	// Wait times the confirmation of a move (its First is learnt).
	Wait   batch.WaitOptions
	Logger *slog.Logger // never nil

	// A whole account (regions.go, fanout.go): the projects' names, and
	// the fan-out of a reconciliation too large for one invocation.
	Projects *rules.Projects
	FanOut   FanOut
	Account  config.Account // RECONCILE_REGIONS
}

// idleWait reads a busy instance again every second or so.
var idleWait = batch.WaitOptions{First: 500 * time.Millisecond, MinDelay: 500 * time.Millisecond, MaxDelay: time.Second}

// rereadWait reads again, for about 3 s (at 0.25, 0.75, 1.75 and 3 s),
// instances an event names right after RunInstances, which may not be
// listed yet.
var rereadWait = batch.WaitOptions{First: 250 * time.Millisecond, MinDelay: 500 * time.Millisecond, MaxDelay: 1250 * time.Millisecond, Timeout: 3 * time.Second}

// Invocation is what one invocation brings to the run: its keys (renewed
// when they expire), the keys first retrieved (a dry run signs with them),
// its request id, and who is told of a panic in a batch's goroutine.
type Invocation struct {
	Keys     credentials.Provider
	Creds    credentials.Credentials
	ID       string
	Panicked func(*cvm.PanicError) // never nil
}

// Run carries out p and says what it did and, with VERIFY, what its reads
// around the moves found.
func (r *Runner) Run(ctx context.Context, inv Invocation, p Plan) answer.Outcome {
	x := &exec{Runner: r, inv: inv, known: map[string]cvm.Instance{}, notFound: map[string]bool{},
		stage: make(chan struct{}, max(r.MaxConcurrency, 1))}
	var o answer.Outcome
	switch p.Kind {
	case Move:
		m := p.Move
		if p.DryRun {
			o = x.dryRun(ctx, m.Region, m.ProjectID, m.InstanceIDs)
		} else {
			skip := r.SkipInvalid
			if m.SkipInvalid != nil {
				skip = *m.SkipInvalid
			}
			mv := x.moveAll(ctx, m.Region, m.ProjectID, m.InstanceIDs, skip)
			o = answer.Outcome{ProjectId: &m.ProjectID, InstanceIds: m.InstanceIDs, Batches: mv.Batches, Failed: mv.Failed, IsolationCalls: mv.IsolationCalls}
		}
		o.Project = m.ProjectName
	case Rules:
		if p.Rules.InstanceIDs == nil {
			o = x.reconcile(ctx, p, p.Rules.Rules)
			break
		}
		run := x.ruleRun(p.Rules.Rules, p.DryRun, false, p.MaxInstances)
		run.Apply(ctx, p.Rules.Region, p.Rules.InstanceIDs)
		o = run.Outcome(p.Rules.InstanceIDs)
	case Events:
		run := x.ruleRun(p.EventRules, p.DryRun, true, p.MaxInstances)
		for _, t := range p.Targets {
			run.Apply(ctx, t.Region, t.InstanceIDs)
		}
		o = run.Outcome(p.Named)
	default:
		return answer.Outcome{ListingFailure: &answer.Failure{Code: answer.CodeInternalError, Message: "the plan has no kind"}}
	}
	if x.Verify.Enabled { // what the reads around the moves found
		v := x.v
		o.Verification = &v
		if o.FirstRequestID == "" {
			o.FirstRequestID = x.firstRequestID
		}
	}
	return o
}

// exec is one invocation's run: what its reads found, for the answer's
// verification. Safe for concurrent use by its batches.
type exec struct {
	*Runner
	inv      Invocation
	expected batch.Expected
	// stage admits MaxConcurrency batches between their read and their
	// move, for the whole invocation: regions run concurrently, and more
	// waiters on one action's rate would only queue (and burst).
	stage chan struct{}

	mu             sync.Mutex
	v              answer.Verification
	known          map[string]cvm.Instance // region + " " + id → as a rule run's listing gave it
	notFound       map[string]bool         // the ids of v.NotFound
	firstRequestID string
}

// ruleRun is a run of set whose listings are the reads before its moves;
// with reread (events), instances named but not listed yet are read again
// for a short time.
func (x *exec) ruleRun(set []rules.Rule, dryRun, reread bool, maxInstances int) *rules.Run {
	list := func(ctx context.Context, region string, q listing.Query) ([]cvm.Instance, []string, error) {
		listed, reqIDs, err := listing.Instances(ctx, x.CVM, x.inv.Keys, region, q)
		if reread && err == nil && len(q.InstanceIDs) > 0 && len(listed) < len(q.InstanceIDs) {
			listed, reqIDs = x.reread(ctx, region, q.InstanceIDs, listed, reqIDs)
		}
		x.mu.Lock()
		for _, in := range listed {
			x.known[region+" "+in.ID] = in
		}
		x.mu.Unlock()
		return listed, reqIDs, err
	}
	move := func(ctx context.Context, region string, projectID int64, ids []string) rules.Moved {
		return x.moveAll(ctx, region, projectID, ids, x.SkipInvalid)
	}
	run := rules.NewRun(set, dryRun, list, move)
	run.MaxInstances = maxInstances
	return run
}

// reread reads the instances of ids not in listed again with the waiter,
// until they are listed or rereadWait's time is up.
func (x *exec) reread(ctx context.Context, region string, ids []string, listed []cvm.Instance, reqIDs []string) ([]cvm.Instance, []string) {
	var missing []string
	for _, id := range ids {
		if !slices.ContainsFunc(listed, func(in cvm.Instance) bool { return in.ID == id }) {
			missing = append(missing, id)
		}
	}
	cf := batch.Wait(ctx, x.CVM, x.inv.Keys, region, missing, func(_ string, _ cvm.Instance, found bool) batch.State {
		if found {
			return batch.Succeeded
		}
		return batch.Pending
	}, rereadWait)
	for _, id := range missing {
		if in, ok := cf.Last[id]; ok {
			listed = append(listed, in)
		}
	}
	return listed, append(reqIDs, cf.RequestIDs...)
}

// dryRun reads the named instances (VERIFY), signs the moves of those not
// in projectID yet exactly as they would be sent, and sends no write.
func (x *exec) dryRun(ctx context.Context, region string, projectID int64, ids []string) answer.Outcome {
	d := &answer.DryRun{Prepared: cvm.Prepared{Region: region}, Credentials: x.inv.Creds.Source, Batches: []cvm.Signed{}}
	o := answer.Outcome{ProjectId: &projectID, InstanceIds: ids, DryRun: d}
	for group := range slices.Chunk(ids, cvm.MaxInstancesPerCall) {
		send := group
		if x.Verify.Enabled {
			var before map[string]cvm.Instance
			if before = x.read(ctx, region, group); before != nil {
				var wait, there []string
				send, wait, there = x.decide(before, projectID, group)
				send = append(send, wait...) // a dry run does not wait: it would send them once idle
				x.noteGroups(before, send, there)
			}
		}
		if len(send) == 0 {
			continue
		}
		b := answer.Batch{InstanceIds: send, Code: answer.CodeDryRun}
		p, signed, err := x.Preparer.Prepare(ctx, x.inv.Creds, region, cvm.ModifyInstancesProject{InstanceIds: send, ProjectId: projectID})
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			b.Code, b.Message = answer.CodeDeadlineExceeded, "not signed: the invocation's deadline ran out"
		case err != nil:
			b.Code, b.Message = answer.CodeInternalError, "the batch could not be signed: "+err.Error()
		default:
			d.Prepared, d.Batches = p, append(d.Batches, signed)
		}
		o.Batches = append(o.Batches, b)
	}
	return o
}
