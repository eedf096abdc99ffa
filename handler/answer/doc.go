// Package answer is the function's one vocabulary of answers: the Answer
// and its Batch, Failure and RuleReport fields, every code (the CVM API's
// own where it has one), the HTTP status of each code, and the one mapping
// of errors (of the CVM client, of the credential providers, of a listing)
// to codes.
//
// Start with Build, which turns what a run did (an Outcome, with its
// Verification) into the Answer; Failed answers a refusal made before any
// upstream call. Retryable is the one judgement of which failures a later
// attempt can fix: Summarize puts them first at the top, and
// Answer.Unfinished (unfinished.go) tells the handler when an asynchronous
// invocation must fail for SCF to retry it (operations still pending,
// Answer.HasPending, are unfinished work too).
package answer
