package answer

import (
	"fmt"
	"slices"
	"strings"
)

// Outcome is what a run did, whatever the plan (a move, its dry run, a
// rule run for named instances or for a region, an EventBridge event): the
// one input of Build.
type Outcome struct {
	ProjectId      *int64   // the move's project; nil for rule runs
	InstanceIds    []string // the instances the request or event named; nil for a reconciliation
	Batches        []Batch
	Failed         []Failure
	IsolationCalls int
	DryRun         *DryRun // a move's dry run: what would have been sent

	Rules          []RuleReport // a rule run's reports, one per rule (their lists non-nil, as rules.NewRun makes them)
	NotFound       []string     // instances named that the listing did not find
	ListingFailure *Failure     // the first listing that did not complete
	// Refused: the request, or a rule run after its listings (more to move
	// than MAX_INSTANCES), was refused; nothing moved.
	Refused        *Error
	ListingRequest string // its RequestId ("" when none answered)
	FirstRequestID string // of the first call answered, for a run without batches
	RulesDryRun    bool   // a rule run that decided and moved nothing
	WouldMove      int    // of a rules dry run

	CredentialSource string

	// Verification is what the reads around the moves found; nil with
	// VERIFY=false.
	Verification *Verification

	// A whole account (rules.go): a move's project by name; a
	// reconciliation (compliance summary), its regions, and the message of
	// a fan-out.
	Project        string
	Reconciliation bool
	Regions        []RegionReport
	Note           string
}

// SecurityGroupChange is an instance whose security groups a move changed
// (in a dry run, one that would move): Before and After the move (After null
// in a dry run); Restored when Before was associated again
// (KEEP_SECURITY_GROUPS), else the failed call's Code and Message.
type SecurityGroupChange struct {
	InstanceId string       `json:"InstanceId"`
	Before     List[string] `json:"Before"`
	After      []string     `json:"After"` // null in a dry run
	Restored   bool         `json:"Restored"`
	Code       string       `json:"Code,omitempty"`
	Message    string       `json:"Message,omitempty"`
}

// Verification is what the reads around the moves found (VERIFY): the
// instances already in the project, not found, FAILED or still OPERATING
// (Pending), how many were confirmed, and the security groups that changed.
// Unverified says why the moves were not verified.
type Verification struct {
	Unverified       string
	AlreadyInProject []string
	NotFound         []string
	Failed           []Failure
	// Never are instances that can never move (recycled, terminating,
	// launch failed, isolated), each with its code; NotSent those not sent
	// for now (busy until the answer was due, or their security groups
	// could not be recorded): unfinished work.
	Never, NotSent []Failure
	Pending        []string
	Confirmed      int
	SecurityGroups []SecurityGroupChange
}

// Build is the answer to an invocation: at the top, a refusal, else the
// first listing that failed, else the batches' summary (summarize), else
// Success with the first call's RequestId; then what the reads found
// (verify). A dry run says so in Message; a reconciliation adds its
// compliance and regions.
func Build(o Outcome) Answer {
	a := Answer{
		ProjectId:        o.ProjectId,
		InstanceIds:      slices.Clone(o.InstanceIds), // the request's, which a caller may reuse
		Batches:          o.Batches,
		Failed:           o.Failed,
		IsolationCalls:   o.IsolationCalls,
		DryRun:           o.DryRun,
		Rules:            o.Rules,
		NotFound:         o.NotFound,
		CredentialSource: o.CredentialSource,
		Project:          o.Project,
	}
	switch {
	case o.Refused != nil:
		a.RequestId, a.Code, a.Message = o.FirstRequestID, o.Refused.Code, o.Refused.Message
	case o.ListingFailure != nil:
		a.RequestId, a.Code, a.Message = o.ListingRequest, o.ListingFailure.Code, o.ListingFailure.Message
	case len(a.Batches) > 0:
		a.summarize()
	default:
		a.RequestId, a.Code = o.FirstRequestID, CodeSuccess
	}
	a.verify(o.Verification, o.DryRun != nil || o.RulesDryRun)
	switch {
	case o.DryRun != nil && a.Code == CodeSuccess && len(a.Batches) == 0:
		a.Code = CodeDryRun
		a.Message = fmt.Sprintf("dry run: nothing would move: %d instances already in the project, none signed or sent", len(a.AlreadyInProject))
	case o.DryRun != nil && a.Code == CodeDryRun:
		a.Message = fmt.Sprintf("dry run: %d %s call(s) signed for %s, none sent", len(a.Batches), o.DryRun.Action, o.DryRun.Endpoint)
	case o.RulesDryRun && a.Code == CodeSuccess:
		a.Message = fmt.Sprintf("dry run: %d instances would move; nothing was moved", o.WouldMove)
	}
	if o.Reconciliation {
		c := ComplianceOf(o.Rules)
		a.Compliance, a.Regions = &c, o.Regions
		if o.Note != "" && a.Code == CodeSuccess && a.Message == "" {
			a.Message = o.Note
		}
	}
	return a
}

// verify adds v to a. A Success top code stays only when every named
// instance is confirmed in the project or was there already; else the first
// that applies: the first NotSent's code (busy), OperationPending,
// PartialSuccess when some ended in the project, the first FAILED or Never
// instance's code, InvalidInstanceId.NotFound.
func (a *Answer) verify(v *Verification, dryRun bool) {
	if v == nil {
		return
	}
	a.Verified = v.Unverified == "" && len(v.Pending) == 0 && !dryRun
	a.NotVerified = v.Unverified
	a.AlreadyInProject = append(a.AlreadyInProject, v.AlreadyInProject...)
	a.Pending = append(a.Pending, v.Pending...)
	a.SecurityGroups = append(a.SecurityGroups, v.SecurityGroups...)
	// A rule run has some already, from its moves and listings: a set
	// each, so that 100,000 of them do not cost 100,000² comparisons.
	failed := make(map[string]bool, len(a.Failed))
	for _, f := range a.Failed {
		failed[f.InstanceId] = true
	}
	for _, f := range slices.Concat(v.Failed, v.Never, v.NotSent) {
		if !failed[f.InstanceId] {
			failed[f.InstanceId] = true
			a.Failed = append(a.Failed, f)
		}
	}
	notFound := make(map[string]bool, len(a.NotFound))
	for _, id := range a.NotFound {
		notFound[id] = true
	}
	for _, id := range v.NotFound {
		if !notFound[id] {
			notFound[id] = true
			a.NotFound = append(a.NotFound, id)
		}
	}
	if a.Code != CodeSuccess {
		return
	}
	bad := len(v.Failed) + len(v.Never) + len(v.NotSent) + len(a.NotFound)
	good := v.Confirmed + len(v.AlreadyInProject)
	if n := len(a.InstanceIds); n > 0 {
		good = n - bad - len(v.Pending)
	}
	switch {
	case len(v.NotSent) > 0:
		a.Code = v.NotSent[0].Code
		a.Message = fmt.Sprintf("%s not sent for now (busy with other operations until the answer was due, or their security groups could not be recorded; see Failed): try again later; %s", plural(len(v.NotSent), "instance"), tally(good, v, a.NotFound))
	case len(v.Pending) > 0:
		a.Code = CodeOperationPending
		a.Message = fmt.Sprintf("%s still being moved when the answer was due (see Pending); %s", plural(len(v.Pending), "instance"), tally(good, v, a.NotFound))
	case bad > 0 && good > 0:
		a.Code = CodePartialSuccess
		a.Message = tally(good, v, a.NotFound)
	case len(v.Failed)+len(v.Never) > 0:
		a.Code, a.Message = slices.Concat(v.Failed, v.Never)[0].Code, tally(good, v, a.NotFound)
	case len(a.NotFound) > 0:
		a.Code = CodeInstanceNotFound
		a.Message = fmt.Sprintf("no instance named exists in its region: %s (see NotFound)", firstFew(a.NotFound))
	case v.Unverified != "":
		a.Message = "the moves were accepted but not verified: " + v.Unverified
	}
}

// tally says how the instances ended.
func tally(good int, v *Verification, notFound []string) string {
	return fmt.Sprintf("%d in the project; %s ended FAILED, %d can never move (see Failed); %d not found (see NotFound)", max(good, 0), plural(len(v.Failed), "operation"), len(v.Never), len(notFound))
}

// firstFew names the first ids of a list and counts the rest: a message
// names a few; the list itself is in the answer once.
func firstFew(ids []string) string {
	const few = 10
	if len(ids) <= few {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:few], ", "), len(ids)-few)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
