package answer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/tencentyun/scf-go-lib/events"

	"scf-cvm-project/cvm"
)

// Batch is the outcome of one ModifyInstancesProject call (at most 100
// instances) and, with SkipInvalid, of isolating its offending instances.
type Batch struct {
	RequestId   string       `json:"RequestId"`
	Code        string       `json:"Code"`
	Message     string       `json:"Message"`
	InstanceIds List[string] `json:"InstanceIds"`
	Attempts    int          `json:"Attempts"` // upstream attempts of the batch's call; 0: not sent

	// Isolated: the batch's offending instances were isolated (SkipInvalid);
	// those that did not move are each in Answer.Failed, with their own
	// code, and the others moved. Not in the JSON.
	Isolated bool `json:"-"`
}

// Failure is an instance that did not move, or (InstanceId "", in a rule's
// report) a listing that did not complete, with the failed call's code and message.
type Failure struct {
	InstanceId string `json:"InstanceId"`
	Code       string `json:"Code"`
	Message    string `json:"Message"`
}

// Answer is what the function returns: the request echoed, the outcome
// of each batch, and at the top the outcome that matters (see summarize).
// It is marshalled as it is: its promised lists are List, [] when empty.
type Answer struct {
	RequestId   string       `json:"RequestId"`
	Code        string       `json:"Code"`
	Message     string       `json:"Message"`
	ProjectId   *int64       `json:"ProjectId"` // null when it could not be parsed
	InstanceIds List[string] `json:"InstanceIds"`
	Batches     List[Batch]  `json:"Batches"`

	// Failed lists the instances that did not move, each with its code:
	// isolated (SkipInvalid), their operation FAILED, never movable
	// (recycled, terminating), or not sent for now (busy); IsolationCalls
	// counts the calls isolating cost beyond one per batch.
	Failed         List[Failure] `json:"Failed"`
	IsolationCalls int           `json:"IsolationCalls"`

	// The tag rules (rules.go): what each rule did, and the instances
	// asked about that do not exist (in that region). [] otherwise.
	Rules    List[RuleReport] `json:"Rules"`
	NotFound List[string]     `json:"NotFound"`

	// DryRun is what a dry run would have sent; absent otherwise.
	DryRun *DryRun `json:"DryRun,omitempty"`
	// CredentialSource names the keys' provider ("env", "assumed-role:<arn>",
	// "cvm-role:<name>"); absent when no credentials were obtained.
	CredentialSource string `json:"CredentialSource,omitempty"`

	// Verification (build.go): Verified when every operation was confirmed,
	// else NotVerified says why; instances already in the project (not sent),
	// still OPERATING when the answer was due, and security groups changed.
	Verified         bool                      `json:"Verified"`
	NotVerified      string                    `json:"NotVerified,omitempty"`
	AlreadyInProject List[string]              `json:"AlreadyInProject"`
	Pending          List[string]              `json:"Pending"`
	SecurityGroups   List[SecurityGroupChange] `json:"SecurityGroups"`
	// Compact: the answer was over MaxAnswerBytes, so Failed and
	// SecurityGroups hold their first 100 entries, and every instance of
	// them is in FailedByCode and SecurityGroupsByCode (compact.go).
	Compact              bool        `json:"Compact,omitempty"`
	FailedByCode         List[Group] `json:"FailedByCode,omitempty"`
	SecurityGroupsByCode List[Group] `json:"SecurityGroupsByCode,omitempty"`

	// A whole account (rules.go): a move's project by name, and a
	// reconciliation's compliance summary and sections per region.
	Project    string             `json:"Project,omitempty"`
	Compliance *Compliance        `json:"Compliance,omitempty"`
	Regions    List[RegionReport] `json:"Regions,omitempty"`
}

// DryRun is what a dry run would have sent: the calls' fixed parts once,
// then what each batch's call signed.
// It holds no secret: no signature, Authorization, SecretId, key or token.
type DryRun struct {
	cvm.Prepared
	// Credentials names where the signing keys came from, e.g. "env".
	Credentials string       `json:"Credentials"`
	Batches     []cvm.Signed `json:"Batches"`
}

// List is a list of an answer, written [] when empty, never null: an answer
// promises its lists. Its elements' JSON encoder is built when there are
// elements to write, so that an answer with no rule, region or security
// group (most) does not build theirs, a third of a cold start's first answer.
type List[T any] []T

// MarshalJSON writes l as a JSON array; [] when l is nil.
func (l List[T]) MarshalJSON() ([]byte, error) {
	if len(l) == 0 {
		return []byte("[]"), nil
	}
	return json.Marshal([]T(l))
}

// JSON returns the answer's JSON, compacted when it is over
// MaxAnswerBytes, with any socket address masked.
func (a Answer) JSON() []byte {
	// Strings, integers, lists of them and a dry run's payloads (JSON that
	// json.Marshal wrote): it cannot fail.
	b, _ := json.Marshal(a)
	if len(b) > MaxAnswerBytes {
		b = a.compacted()
	}
	// No socket address in an answer, whatever wrote it (a dry run's
	// endpoint, a setting echoed): an internal gateway's stays in the log.
	return maskAddresses(b, "(an address)")
}

// summarize sets the top-level RequestId, Code and Message of an answer
// with batches from the first that applies: a batch the deadline cut (the
// message counts batches done); a batch, then an instance of Failed, that a
// retry can fix (Retryable); a batch that failed whole; PartialSuccess when
// some moved and some are in Failed; the first isolated batch; else the
// first batch, with Message "".
func (a *Answer) summarize() {
	var firstFailed, firstIsolated, deadline, retryable *Batch
	done := 0
	for i := range a.Batches {
		b := &a.Batches[i]
		switch {
		case b.Code == CodeSuccess || b.Code == CodePartialSuccess:
			done++
		case b.Code == CodeDeadlineExceeded:
			if deadline == nil {
				deadline = b
			}
		case b.Isolated:
			done++
			if firstIsolated == nil {
				firstIsolated = b
			}
		default:
			if firstFailed == nil {
				firstFailed = b
			}
			if retryable == nil && Retryable(b.Code) {
				retryable = b
			}
		}
	}
	retryableFailed, firstRetryable := 0, -1 // of Failed
	for i, f := range a.Failed {
		if Retryable(f.Code) {
			if firstRetryable < 0 {
				firstRetryable = i
			}
			retryableFailed++
		}
	}
	first := a.Batches[0]
	switch {
	case deadline != nil:
		a.RequestId, a.Code = deadline.RequestId, deadline.Code
		a.Message = fmt.Sprintf("the invocation's deadline ran out with %d of %d batches done (see Batches): %s", done, len(a.Batches), deadline.Message)
	case retryable != nil:
		a.RequestId, a.Code, a.Message = retryable.RequestId, retryable.Code, retryable.Message
	case firstRetryable >= 0:
		f := a.Failed[firstRetryable]
		a.RequestId, a.Code = "", f.Code
		for _, b := range a.Batches {
			if slices.Contains(b.InstanceIds, f.InstanceId) {
				a.RequestId = b.RequestId // its batch's
				break
			}
		}
		a.Message = fmt.Sprintf("%d of %d instances failed for a reason a retry can fix, %d in all (see Failed); the first, %s: %s", retryableFailed, a.sent(), len(a.Failed), f.InstanceId, f.Message)
	case firstFailed != nil:
		a.RequestId, a.Code, a.Message = firstFailed.RequestId, firstFailed.Code, firstFailed.Message
	case len(a.Failed) > 0 && len(a.Failed) < a.sent():
		a.RequestId, a.Code = first.RequestId, CodePartialSuccess
		a.Message = fmt.Sprintf("moved %d of %d instances; %d failed (see Failed)", a.sent()-len(a.Failed), a.sent(), len(a.Failed))
	case firstIsolated != nil:
		a.RequestId, a.Code, a.Message = firstIsolated.RequestId, firstIsolated.Code, firstIsolated.Message
	default:
		a.RequestId, a.Code, a.Message = first.RequestId, first.Code, ""
	}
}

// sent is how many instances the batches were for: those the request named
// or, for a reconciliation (which names none), those the batches held.
func (a *Answer) sent() int {
	if len(a.InstanceIds) > 0 {
		return len(a.InstanceIds)
	}
	n := 0
	for _, b := range a.Batches {
		n += len(b.InstanceIds)
	}
	return n
}

// HTTPResponse wraps the answer for API Gateway and the function URL:
// status HTTPStatus(a.Code), a JSON body, and all four fields of
// events.APIGatewayResponse.
// A 401 also says which scheme authenticates (WWW-Authenticate: Bearer).
func HTTPResponse(a Answer) events.APIGatewayResponse {
	status := HTTPStatus(a.Code)
	headers := map[string]string{"Content-Type": "application/json"}
	switch status {
	case http.StatusUnauthorized:
		headers["WWW-Authenticate"] = "Bearer"
	case http.StatusServiceUnavailable, http.StatusAccepted:
		headers["Retry-After"] = strconv.Itoa(RetryAfter) // busy, or still moving: come back (RFC 9110 §10.2.3)
	}
	return events.APIGatewayResponse{
		IsBase64Encoded: false,
		StatusCode:      status,
		Headers:         headers,
		Body:            string(a.JSON()),
	}
}

// Failed builds the answer for an error before any upstream call, echoing
// the instances and the project the request named (projectID nil when it
// could not be read). A nil err is itself an internal error.
func Failed(err *Error, instanceIDs []string, projectID *int64) Answer {
	if err == nil {
		err = Errorf(CodeInternalError, "the request failed without an error")
	}
	o := Outcome{InstanceIds: instanceIDs, Refused: err}
	if projectID != nil {
		id := *projectID
		o.ProjectId = &id
	}
	return Build(o)
}
