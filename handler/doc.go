// Package handler is the function's SCF contract and its one pipeline:
// Handler.Invoke turns one invocation (API Gateway, function URL, timer,
// direct payload or EventBridge delivery) into CVM calls and one JSON
// answer, through the same steps for every kind:
//
//	decode (trigger) → guard (guard) → plan (request, rules) →
//	credentials, once → run (cvm, cvm/batch, rules.Run) →
//	confirm (verify.go, batch.Confirm) → answer (answer.Build)
//
// pipeline.go runs the steps in order; run.go carries out each kind of
// plan; verify.go reads the instances before a move and confirms each
// operation after it (VERIFY), and restores security groups
// (KEEP_SECURITY_GROUPS); reread.go reads again instances an event names
// that are not listed yet; new.go wires the settings (config) and the
// providers. Every refusal
// is decided in the plan, before any upstream call.
//
// The contract: every invocation returns an answer, but one: an invocation
// nobody reads (a timer, an EventBridge delivery, a direct one whose
// request says Async) that leaves work a retry can finish
// (answer.Answer.Unfinished: throttling, the deadline, an upstream failure,
// credentials unavailable for now) returns an *UnfinishedError, a function
// error whose message summarises the answer, so that SCF retries the
// invocation and then hands it to the dead-letter queue (unfinished.go).
// HTTP events always get the answer, inside an API Gateway response whose
// status follows the code (answer.HTTPStatus).
package handler
