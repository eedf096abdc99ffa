package answer

import "fmt"

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

	Rules          []RuleReport // a rule run's reports, one per rule
	NotFound       []string     // instances named that the listing did not find
	ListingFailure *Failure     // the first listing that did not complete
	Refused        *Error       // a rule run refused after its listings (more to move than MAX_INSTANCES): nothing moved
	ListingRequest string       // its RequestId ("" when none answered)
	FirstRequestID string       // of the first call answered, for a run without batches
	RulesDryRun    bool         // a rule run that decided and moved nothing
	WouldMove      int          // of a rules dry run

	CredentialSource string

	// Verification is what the reads around the moves found; nil when
	// nothing was verified (VERIFY=false, or no move was planned).
	Verification *Verification

	// A whole account (account.go): a move's project by name; a
	// reconciliation (compliance summary), its regions, and the message of
	// a fan-out.
	Project        string
	Reconciliation bool
	Regions        []RegionReport
	Note           string
}

// Build is the answer to an invocation that ran: at the top, a rule run's
// refusal, else the first listing that failed, else the batches' summary (Summarize), else Success
// with the first call's RequestId. A dry run says so in Message.
func Build(o Outcome) Answer {
	a := Answer{
		ProjectId:        o.ProjectId,
		InstanceIds:      o.InstanceIds,
		Batches:          o.Batches,
		Failed:           o.Failed,
		IsolationCalls:   o.IsolationCalls,
		DryRun:           o.DryRun,
		Rules:            o.Rules,
		NotFound:         o.NotFound,
		CredentialSource: o.CredentialSource,
	}
	switch {
	case o.Refused != nil:
		a.RequestId, a.Code, a.Message = o.FirstRequestID, o.Refused.Code, o.Refused.Message
	case o.ListingFailure != nil:
		a.RequestId, a.Code, a.Message = o.ListingRequest, o.ListingFailure.Code, o.ListingFailure.Message
	case len(a.Batches) > 0:
		a.Summarize()
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
	a.account(o)
	a.nonNil()
	return a
}
