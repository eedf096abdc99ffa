// Package handler is the function's handler contract: it turns one SCF
// invocation (API Gateway, Function URL, timer or direct payload) into
// signed ModifyInstancesProject calls and one JSON answer.
//
// Start with Handler.Invoke, which scf-go-lib's cloudfunction.StartHandler
// calls. Decoding each trigger's event (event.go, http.go, timer.go), the
// request (request.go), validation (validate.go), the guards' settings and
// HTTP checks (security.go), the masking of secrets (redact.go) and the
// answer (answer.go, codes.go) are pure; handler.go, config.go, guard.go
// and dryrun.go hold the I/O.
//
// The guards come first: a malformed setting refuses every invocation, and
// an HTTP event must pass authentication, then the method, then the
// content type before its request is read; the target project and the
// instance count are checked before credentials are read. A dry run signs
// every batch and sends none.
//
// The contract: every invocation returns an answer, never a Go error, so SCF
// neither retries an asynchronous invocation nor drops the answer. The
// answer carries the upstream RequestId and Code, the instances and each
// batch; HTTP events get it inside an API Gateway response whose status
// follows the code (see HTTPStatus).
package handler
