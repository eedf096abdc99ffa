// Package handler is the function's SCF contract and its one pipeline:
// Handler.Invoke turns one invocation (API Gateway, function URL, timer,
// direct payload or EventBridge delivery) into CVM calls and one JSON
// answer, through the same steps for every kind:
//
//	decode (trigger) → guard (guard) → plan (request, rules) →
//	credentials, once → run and confirm (run) → answer (answer.Build)
//
// pipeline.go runs the steps in order and decides the plan (every refusal
// is decided there, before any upstream call); new.go and settings.go wire
// the settings (config) and the credential providers, and build the
// Handler again when an invocation's environment changes a variable the
// function reads.
//
// The contract: every invocation returns an answer, but one: an invocation
// nobody reads (trigger.Kind.Unread: a timer, an EventBridge delivery, a
// direct one whose request says Async) that leaves work a retry can finish
// (answer.Answer.Unfinished: throttling, the deadline, an upstream failure,
// credentials unavailable for now, operations still pending) returns an
// *answer.UnfinishedError, a function error whose message summarises the
// answer, so that SCF retries the invocation and then hands it to the
// dead-letter queue. HTTP events always get the answer, inside an API
// Gateway response whose status follows the code (answer.HTTPStatus).
package handler
