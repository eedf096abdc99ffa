package answer

import (
	"fmt"

	"scf-cvm-project/internal/retry"
)

// Retryable reports whether a later attempt of the same work can fix a
// failure with code: retry.Code's (a throttle, InternalError* including the
// deadline and the keys not had for now, InternalServerError*, an expired
// signature) and an operation under way. A bad setting and missing keys need a person.
func Retryable(code string) bool {
	switch code {
	case CodeMissingCredentials, CodeInvalidConfig:
		return false
	case CodeOperationPending, CodeBusy, CodeMutexTaskRunning:
		return true // an operation still under way
	}
	return retry.Code(code)
}

// Unfinished reports whether a later attempt can finish work the answer
// leaves undone (Retryable top code, batch, Failed instance or rule's
// listing or move; an operation FAILED or pending), which for an invocation
// nobody reads becomes a function error for SCF to retry. summary says so
// from the code, RequestId and counts only: messages may name an endpoint.
func (a Answer) Unfinished() (unfinished bool, summary string) {
	unfinished = Retryable(a.Code)
	batchesFailed, notMoved := 0, 0
	for _, b := range a.Batches {
		if b.Code == CodeSuccess || b.Code == CodePartialSuccess || b.Code == CodeDryRun || b.Isolated {
			continue
		}
		batchesFailed++
		notMoved += len(b.InstanceIds)
		unfinished = unfinished || Retryable(b.Code)
	}
	for _, f := range a.Failed {
		notMoved++
		// A FAILED operation does not win the top code, but nobody has seen
		// it: SCF's retries and dead-letter queue get it.
		unfinished = unfinished || Retryable(f.Code) || f.Code == CodeOperationFailed
	}
	for _, g := range a.SecurityGroups {
		// A restore or a record's removal that failed: the record stays on
		// the instance for a retry to finish (a conflict is final).
		unfinished = unfinished || (g.Code != "" && g.Code != CodeGroupsChanged)
	}
	listings := 0 // rules' listings that did not complete
	for _, r := range a.Rules {
		for _, f := range r.Failed {
			unfinished = unfinished || Retryable(f.Code)
			if f.InstanceId == "" {
				listings++
			}
		}
	}
	unfinished = unfinished || len(a.Pending) > 0 // operations still under way
	if !unfinished {
		return false, ""
	}
	summary = fmt.Sprintf("unfinished, a retry can finish it: %s (RequestId %q): %d instances named, %d not moved, %d pending; %d of %d batches failed",
		a.Code, a.RequestId, len(a.InstanceIds), notMoved, len(a.Pending), batchesFailed, len(a.Batches))
	if listings > 0 {
		summary += fmt.Sprintf("; %d listings did not complete (nothing moved for their rules)", listings)
	}
	return true, summary
}

// UnfinishedError is the function error of an asynchronous invocation that
// left work a retry can finish, for SCF to retry it (docs/retries-and-limits.md).
// Its message is Unfinished's summary; the answer goes to the invocation's log line.
type UnfinishedError struct {
	Code    string // the answer's top code
	Summary string // Unfinished's summary
}

func (e *UnfinishedError) Error() string { return e.Summary }

// FunctionError is what an invocation nobody reads returns with a: an
// *UnfinishedError when a is Unfinished, else nil.
func (a Answer) FunctionError() error {
	if unfinished, summary := a.Unfinished(); unfinished {
		return &UnfinishedError{Code: a.Code, Summary: summary}
	}
	return nil
}
