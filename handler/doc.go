// Package handler is the function's handler contract: it turns one SCF
// invocation (API Gateway, Function URL, timer or direct payload) into
// signed ModifyInstancesProject calls and one JSON answer.
//
// Start with Handler.Invoke, which scf-go-lib's cloudfunction.StartHandler
// calls. Decoding each trigger's event (event.go, http.go, timer.go), the
// request (request.go, skip.go), validation (validate.go), the isolation of
// offending instances (isolate.go, given its call function) and the answer
// (answer.go, codes.go) are pure; handler.go (batches in parallel),
// config.go and tuning.go hold the I/O and the configuration.
//
// The contract: every invocation returns an answer, never a Go error, so SCF
// neither retries an asynchronous invocation nor drops the answer. The
// answer carries the upstream RequestId and Code, the instances and each
// batch; HTTP events get it inside an API Gateway response whose status
// follows the code (see HTTPStatus).
package handler
