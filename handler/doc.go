// Package handler is the function's handler contract: it turns one SCF
// invocation (API Gateway, Function URL, timer, direct payload or
// EventBridge delivery) into signed ModifyInstancesProject calls and one
// JSON answer.
//
// Start with Handler.Invoke, which scf-go-lib's cloudfunction.StartHandler
// calls. Decoding each trigger's event (event.go, http.go, timer.go,
// cloudevent.go), the request (request.go, skip.go, rulerequest.go),
// validation (validate.go), the guards' settings and HTTP checks
// (security.go), the masking of secrets (redact.go), the tag rules
// (rules.go), the isolation of offending instances (isolate.go, given its
// call function) and the answer (answer.go, ruleanswer.go, codes.go) are
// pure; handler.go (batches in parallel), config.go, tuning.go, guard.go,
// dryrun.go, credentials.go, reconcile.go (listing instances with
// DescribeInstances and applying the rules) and rulesenv.go hold the I/O.
//
// The guards come first: a malformed setting refuses every invocation, and
// an HTTP event must pass authentication, then the method, then the
// content type before its request is read; the target project (of a move
// or of every rule) and the instance count are checked before credentials
// are read. A dry run signs every batch and sends none; a dry run of the
// rules lists and decides, and moves nothing.
//
// The contract: every invocation returns an answer, never a Go error, so SCF
// neither retries an asynchronous invocation nor drops the answer. The
// answer carries the upstream RequestId and Code, the instances and each
// batch; HTTP events get it inside an API Gateway response whose status
// follows the code (see HTTPStatus).
package handler
