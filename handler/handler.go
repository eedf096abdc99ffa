package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/run"
	"scf-cvm-project/handler/trigger"
)

// Handler answers invocations. Build it with NewFromEnv, or set the fields
// directly in tests (Logger included).
type Handler struct {
	// Runner is the run step and what it calls (CVM, Verify, ...), built
	// once per set of settings.
	run.Runner
	Credentials credentials.Provider
	// DefaultRegion is used when a request names none (TENCENTCLOUD_REGION).
	DefaultRegion string
	// Rules are the configured rules (RULES_FILE, PROJECT_RULES): a
	// request's without its own, and an EventBridge event's.
	Rules []rules.Rule
	// AnswerMargin is kept free before the invocation's deadline, so the
	// answer reaches SCF before SCF gives up on the invocation. The CVM
	// client bounds each attempt and starts none it has no time for.
	AnswerMargin time.Duration
	// ConfigErr, when set, is answered to every invocation: a function that
	// is misconfigured refuses to run rather than run half-configured.
	ConfigErr *answer.Error
	// Security says who may call over HTTP and what may be changed; its
	// zero value refuses every HTTP request.
	Security guard.Security
	secrets  []string // configured secrets (API_TOKEN), masked in a panic's log line
	// settings, when NewFromEnv built h, gives each invocation the Handler
	// of the variables it sees (h itself while they do not change).
	settings *settings
}

// invocation is what one invocation knows of its secrets: the configured
// ones, the caller's Authorization header, and the keys it signed with
// (renewed ones included), all masked in a panic's log line.
type invocation struct {
	secrets []string              // the Handler's, shared by every invocation, until extended by a copy (slices.Concat)
	keys    *credentials.Renewing // nil until the keys are asked for
	async   bool                  // the request asked for Async (a direct invocation)
}

// redact masks every secret of the invocation in s.
func (inv *invocation) redact(s string) string {
	secrets := inv.secrets
	if inv.keys != nil {
		secrets = slices.Concat(secrets, inv.keys.Secrets())
	}
	return guard.Redact(s, secrets...)
}

// Invoke implements scf-go-lib's cloudfunction.Handler. It returns the
// answer, or an *answer.UnfinishedError when an invocation nobody reads
// (trigger.Kind.Unread) leaves work a retry can finish (answer.Answer.Unfinished),
// so that SCF retries it and then hands it to the dead-letter queue.
func (h *Handler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	if h.settings != nil {
		h = h.settings.handler(ctx) // the Handler of the variables the invocation sees
	}
	var kind trigger.Kind
	inv := &invocation{secrets: h.secrets}
	defer func() {
		if p := recover(); p != nil {
			// The panic value and stack go to the log, which only the function's
			// owners read, with every secret known here masked (a panic's
			// message may hold one); the caller gets a code and the request id.
			h.logPanic(ctx, inv, p, debug.Stack())
			a := answer.Failed(answer.Internal(invocationID(ctx)), nil, nil)
			if kind.Unread(inv.async) {
				// Nobody reads this answer: the work is unfinished, and SCF
				// retries the invocation (InternalError is retryable, so
				// FunctionError is never nil).
				out, err = nil, a.FunctionError()
				return
			}
			out, err = encode(kind, a), nil
		}
	}()

	ev, verr := trigger.Decode(payload)
	kind = ev.Kind
	if ev.HTTP != nil {
		auth := ev.HTTP.Headers["authorization"]
		token, _ := guard.BearerToken(auth)
		inv.secrets = slices.Concat(inv.secrets, []string{auth, token})
	}
	a := h.answer(ctx, ev, verr, inv)
	var ferr error
	if kind.Unread(inv.async) {
		ferr = a.FunctionError()
	}
	h.logInvocation(ctx, kind, a, ferr)
	if ferr != nil {
		return nil, ferr
	}
	return encode(kind, a), nil
}

// logInvocation writes the invocation's line: its kind and outcome, at Info,
// Warn, or Error for a 5xx; a reconciliation's counts, for CLS dashboards;
// and the answer itself when only the log gets it (ferr). Keys: docs/requests-and-answers.md#logs.
func (h *Handler) logInvocation(ctx context.Context, kind trigger.Kind, a answer.Answer, ferr error) {
	attrs := []slog.Attr{
		slog.String("event", string(kind)),
		slog.String("code", a.Code),
		slog.String("upstream_request_id", a.RequestId),
		slog.Int("instances", len(a.InstanceIds)),
		slog.Int("batches", len(a.Batches)),
		slog.String("credential_source", a.CredentialSource),
		slog.Int("failed", len(a.Failed)),
		slog.Int("isolation_calls", a.IsolationCalls),
		slog.Bool("verified", a.Verified),
		slog.Int("pending", len(a.Pending)),
		slog.Int("already_in_project", len(a.AlreadyInProject)),
		slog.Bool("function_error", ferr != nil),
	}
	if c := a.Compliance; c != nil {
		failedRegions, handed := 0, 0
		for _, r := range a.Regions {
			switch {
			case r.HandedOver != nil:
				handed++
			case r.Code != answer.CodeSuccess && r.Code != answer.CodeDryRun:
				failedRegions++
			}
		}
		attrs = append(attrs,
			slog.Int("matched", c.Matched),
			slog.Int("compliant", c.Compliant),
			slog.Int("moved", c.Moved),
			slog.Int("failed_instances", c.Failed),
			slog.Int("conflicts", c.Conflicts),
			slog.Int("skipped", c.Skipped),
			slog.Int("regions", len(a.Regions)),
			slog.Int("regions_failed", failedRegions),
			slog.Int("regions_handed_over", handed),
		)
	}
	if ferr != nil {
		// Nobody gets this answer but the log: it is written whole (an
		// answer holds no secret and no socket address), so that what each
		// instance's outcome was can be read there.
		attrs = append(attrs, slog.Any("answer", json.RawMessage(a.JSON())))
	}
	level := slog.LevelWarn
	switch {
	case a.Code == answer.CodeSuccess, a.Code == answer.CodeDryRun, a.Code == answer.CodeNoInstances:
		level = slog.LevelInfo
	case answer.HTTPStatus(a.Code) >= 500:
		level = slog.LevelError
	}
	h.Logger.LogAttrs(ctx, level, "invocation", attrs...)
}

// logPanic writes a panic to the log with the invocation's secrets masked.
// A *cvm.PanicError raised again from a helper's goroutine is logged with
// the value and stack of the panic it carries.
func (h *Handler) logPanic(ctx context.Context, inv *invocation, p any, stack []byte) {
	if perr, ok := p.(*cvm.PanicError); ok {
		p, stack = perr.Value, perr.Stack
	}
	h.Logger.ErrorContext(ctx, "panic", "panic", inv.redact(fmt.Sprint(p)), "stack", inv.redact(string(stack)))
}

func encode(kind trigger.Kind, a answer.Answer) []byte {
	if kind != trigger.KindAPIGateway && kind != trigger.KindFunctionURL {
		return a.JSON()
	}
	b, _ := json.Marshal(answer.HTTPResponse(a)) // a bool, an int, a map of strings and a string: it cannot fail
	return b
}

func invocationID(ctx context.Context) string {
	if fc, ok := functioncontext.FromContext(ctx); ok {
		return fc.RequestID
	}
	return ""
}

// Warm encodes an answer as an invocation does, with no I/O and nothing
// logged: encoding/json builds its encoders once per type, and an Answer's
// are the largest one-time cost of a cold start's first invocation. main
// runs it beside the runtime's start, while SCF has yet to call; it is safe
// beside an invocation. (Decoding a request costs less there than warming
// it costs the runtime's start, which it would share the CPU with.)
func Warm() {
	_ = encode(trigger.KindDirect, answer.Build(answer.Outcome{Batches: []answer.Batch{{}}}))
}
