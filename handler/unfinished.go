package handler

import (
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/trigger"
)

// UnfinishedError is the function error of an asynchronous invocation that
// left work a retry can finish: SCF retries the invocation (twice by
// default) and then hands the event to the dead-letter queue. Its message
// is the answer's summary (code, RequestId, counts), never a secret nor an
// endpoint; the answer itself goes to the log line of the invocation.
type UnfinishedError struct {
	Code    string // the answer's top code
	Summary string // answer.Answer.Unfinished's summary
}

func (e *UnfinishedError) Error() string { return e.Summary }

// Asynchronous reports whether an invocation of kind is one nobody reads
// the answer of: a timer, an EventBridge delivery, or a direct invocation
// whose request says Async (SCF does not tell the function whether an
// Invoke was synchronous). HTTP callers always read theirs.
func Asynchronous(kind trigger.Kind, async bool) bool {
	switch kind {
	case trigger.KindTimer, trigger.KindEventBridge:
		return true
	case trigger.KindDirect:
		return async
	}
	return false
}

// functionError is the error Invoke returns for a: an *UnfinishedError when
// the invocation is asynchronous and a unfinished, else nil.
func functionError(kind trigger.Kind, async bool, a answer.Answer) error {
	if !Asynchronous(kind, async) {
		return nil
	}
	if unfinished, summary := a.Unfinished(); unfinished {
		return &UnfinishedError{Code: a.Code, Summary: summary}
	}
	return nil
}
