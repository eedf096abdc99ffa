package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"
	"golang.org/x/sync/errgroup"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// Caller makes one signed CVM API call; *cvm.Client is one.
type Caller interface {
	Call(ctx context.Context, creds credentials.Credentials, region string, action cvm.Action, out any) (cvm.Result, error)
}

// Handler answers invocations. Build it with NewFromEnv, or set the fields
// directly in tests.
type Handler struct {
	CVM Caller
	// Preparer signs without sending, for dry runs; NewFromEnv sets it to
	// the same client as CVM.
	Preparer    Preparer
	Credentials credentials.Provider
	Logger      *slog.Logger
	// DefaultRegion is used when a request names none (TENCENTCLOUD_REGION).
	DefaultRegion string
	// AnswerMargin is kept free before the invocation's deadline, so the
	// answer reaches SCF before SCF gives up on the invocation. The CVM
	// client bounds each attempt and starts none it has no time for.
	AnswerMargin time.Duration
	// MaxConcurrency is how many batches are in flight at once
	// (MAX_CONCURRENCY); 0 or less means one at a time.
	MaxConcurrency int
	// SkipInvalid isolates the offending instances of a refused batch and
	// moves the others, when a request does not say (SKIP_INVALID).
	SkipInvalid bool
	// ConfigErr, when set, is answered to every invocation: a function that
	// is misconfigured refuses to run rather than run half-configured.
	ConfigErr *Error
	// Security says who may call over HTTP and what may be changed; its
	// zero value refuses every HTTP request.
	Security Security
	// Rules are the configured tag rules (RULES_FILE or PROJECT_RULES): for
	// EventBridge events, and requests that give none (reconcile.go).
	Rules []Rule

	secrets     redactor // configured secrets (API_TOKEN), masked in a panic's log line
	startup     func()   // run once, at the first invocation
	startupOnce sync.Once
}

// Invoke implements scf-go-lib's cloudfunction.Handler.
func (h *Handler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	kind := Kind(0)
	secrets := h.secrets
	defer func() {
		if p := recover(); p != nil {
			// The panic value and stack go to the log, which only the function's
			// owners read, with every secret known here masked (a panic's
			// message may hold one); the caller gets a code and the request id.
			h.logger().ErrorContext(ctx, "panic", "function_request_id", invocationID(ctx),
				"panic", secrets.redact(fmt.Sprint(p)), "stack", secrets.redact(string(debug.Stack())))
			a := Answer{Code: CodeInternalError, Message: "internal error; see the function's log for request " + invocationID(ctx)}
			out, err = encode(kind, a), nil
		}
	}()

	if h.startup != nil {
		h.startupOnce.Do(h.startup)
	}
	ev, verr := DecodeEvent(payload)
	kind = ev.Kind
	if ev.HTTP != nil {
		auth := ev.HTTP.Headers["authorization"]
		token, _ := bearerToken(auth)
		secrets = secrets.with(auth, token)
	}
	a := h.answer(ctx, ev, verr, &secrets)
	h.logger().LogAttrs(ctx, levelFor(a.Code), "invocation",
		slog.String("function_request_id", invocationID(ctx)),
		slog.String("event", kind.String()),
		slog.String("code", a.Code),
		slog.String("upstream_request_id", a.RequestId),
		slog.Int("instances", len(a.InstanceIds)),
		slog.Int("batches", len(a.Batches)),
		slog.String("credential_source", a.CredentialSource),
		slog.Int("failed", len(a.Failed)),
		slog.Int("isolation_calls", a.IsolationCalls),
	)
	return encode(kind, a), nil
}

// answer runs the steps in order, each before any upstream call: the
// configuration, the event, the HTTP checks, the request, its validation,
// the allowed projects, the credentials (added to secrets); then the move,
// or its dry run.
func (h *Handler) answer(ctx context.Context, ev Event, decodeErr *Error, secrets *redactor) Answer {
	if h.ConfigErr != nil {
		return FailedAnswer(h.ConfigErr, RawRequest{})
	}
	if decodeErr != nil {
		// An HTTP caller is authenticated (when its headers could be read)
		// before being told what is wrong with its event.
		if ev.HTTP != nil {
			if err := h.guardHTTP(ctx, ev); err != nil {
				return FailedAnswer(err, RawRequest{})
			}
		}
		return FailedAnswer(decodeErr, RawRequest{})
	}
	if err := h.guardHTTP(ctx, ev); err != nil {
		return FailedAnswer(err, RawRequest{})
	}
	if ev.Kind == KindEventBridge {
		return h.answerEvents(ctx, ev.CloudEvents, secrets)
	}
	raw, rerr := RequestFromEvent(ev)
	if rerr != nil {
		return FailedAnswer(rerr, raw)
	}
	if usesRules(raw, h.Rules) {
		return h.answerRules(ctx, raw, secrets)
	}
	req, verr := Validate(raw, h.DefaultRegion, h.Security.maxInstances())
	if verr != nil {
		return FailedAnswer(verr, raw)
	}
	if err := h.Security.allowProject(req.ProjectID); err != nil {
		return FailedAnswer(err, raw)
	}
	creds, err := h.retrieveCredentials(ctx)
	if err != nil {
		return FailedAnswer(credentialsError(err), raw)
	}
	*secrets = secrets.with(creds.SecretKey, creds.Token)
	var a Answer
	if h.Security.dryRun(raw.DryRun) {
		a = h.dryRun(ctx, req, creds)
	} else {
		a = h.move(ctx, req, creds)
	}
	a.CredentialSource = creds.Source
	return a
}

// move makes one ModifyInstancesProject call per batch of at most 100
// instances, MaxConcurrency at a time; the answer keeps the request's
// order. A failed batch does not stop the others. With SkipInvalid, a batch
// refused because of some of its instances moves without them (isolate.go).
func (h *Handler) move(ctx context.Context, req Request, creds credentials.Credentials) Answer {
	projectID := req.ProjectID
	a := Answer{ProjectId: &projectID, InstanceIds: req.InstanceIDs}
	ctx, cancel := h.batchContext(ctx)
	defer cancel()

	type result struct {
		batch  Batch
		failed []Failure
		calls  int
	}
	chunks := slices.Collect(slices.Chunk(req.InstanceIDs, cvm.MaxInstancesPerCall))
	results := make([]result, len(chunks))
	skip := h.skipInvalid(req)
	run := func(i int) error {
		ids := chunks[i]
		defer func() {
			if p := recover(); p != nil {
				results[i] = result{batch: h.panicked(ctx, ids, p, creds)}
			}
		}()
		b := h.moveBatch(ctx, req, ids, creds)
		if !skip || !isolatable(b.Code) {
			results[i] = result{batch: b}
			return nil
		}
		iso := newIsolation(func(group []string) Batch { return h.moveBatch(ctx, req, group, creds) })
		iso.run(ids, b)
		results[i] = result{batch: iso.outcome(b), failed: iso.failures(ids), calls: iso.calls}
		return nil
	}
	if len(chunks) == 1 {
		_ = run(0) // a lone batch needs no goroutine: handing it to one costs a wake-up
	} else {
		var g errgroup.Group
		g.SetLimit(max(h.MaxConcurrency, 1))
		for i := range chunks {
			g.Go(func() error { return run(i) })
		}
		_ = g.Wait() // run returns no error: each outcome is in results
	}

	a.Batches = make([]Batch, len(results))
	for i, r := range results {
		a.Batches[i] = r.batch
		a.Failed = append(a.Failed, r.failed...)
		a.IsolationCalls += r.calls
	}
	a.Summarize()
	return a
}

// moveBatch makes one call (with the client's retries) for ids.
func (h *Handler) moveBatch(ctx context.Context, req Request, ids []string, creds credentials.Credentials) Batch {
	b := Batch{InstanceIds: ids}
	if ctx.Err() != nil {
		b.Code, b.Message = CodeDeadlineExceeded, "not sent: the invocation's deadline left no time for this batch"
		return b
	}
	creds, cerr := h.unexpired(ctx, creds)
	if cerr != nil {
		b.Code, b.Message = cerr.Code, "not sent: "+cerr.Message
		return b
	}
	res, err := h.CVM.Call(ctx, creds, req.Region, cvm.ModifyInstancesProject{InstanceIds: ids, ProjectId: req.ProjectID}, nil)
	b.RequestId, b.Attempts = res.RequestID, res.Attempts
	switch {
	case err == nil && res.Code == "":
		b.Code = CodeSuccess
	case err == nil:
		b.Code, b.Message = res.Code, res.Message
	case errors.Is(err, context.DeadlineExceeded) && res.Attempts == 0:
		b.Code, b.Message = CodeDeadlineExceeded, "not sent: the invocation's deadline left no time for this batch"
	case errors.Is(err, cvm.ErrNoTimeLeft):
		b.Code, b.Message = CodeDeadlineExceeded, fmt.Sprintf("the invocation's deadline left no time for another attempt after %d; the batch may or may not have been applied (%v)", res.Attempts, err)
	case errors.Is(err, context.DeadlineExceeded):
		b.Code, b.Message = CodeDeadlineExceeded, "the invocation's deadline ran out before the upstream answered; the batch may or may not have been applied"
	case errors.Is(err, cvm.ErrBadResponse):
		b.Code, b.Message = CodeUpstreamBadResponse, err.Error()
	default:
		b.Code, b.Message = CodeUpstreamUnreachable, err.Error()
	}
	return b
}

// batchContext bounds the batches by the invocation's deadline less
// AnswerMargin.
func (h *Handler) batchContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-h.AnswerMargin))
	}
	return context.WithCancel(ctx)
}

// panicked logs a panic in a batch's goroutine, where Invoke's recover
// cannot reach, and reports the batch as an internal error: the other
// batches' outcomes are kept.
func (h *Handler) panicked(ctx context.Context, ids []string, p any, creds credentials.Credentials) Batch {
	secrets := h.secrets.with(creds.SecretKey, creds.Token)
	h.logger().ErrorContext(ctx, "panic", "function_request_id", invocationID(ctx),
		"panic", secrets.redact(fmt.Sprint(p)), "stack", secrets.redact(string(debug.Stack())))
	return Batch{InstanceIds: ids, Code: CodeInternalError, Message: "internal error; see the function's log for request " + invocationID(ctx)}
}

func encode(kind Kind, a Answer) []byte {
	if kind != KindAPIGateway && kind != KindFunctionURL {
		return a.JSON()
	}
	b, err := json.Marshal(HTTPResponse(a))
	if err != nil { // four plain fields always marshal
		return []byte(`{"isBase64Encoded":false,"statusCode":500,"headers":{"Content-Type":"application/json"},"body":""}`)
	}
	return b
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func levelFor(code string) slog.Level {
	switch {
	case code == CodeSuccess, code == CodeDryRun, code == CodeNoInstances:
		return slog.LevelInfo
	case HTTPStatus(code) >= 500:
		return slog.LevelError
	default:
		return slog.LevelWarn
	}
}

func invocationID(ctx context.Context) string {
	if fc, ok := functioncontext.FromContext(ctx); ok {
		return fc.RequestID
	}
	return ""
}
