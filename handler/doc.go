// Package handler is the function's handler contract: it turns one SCF
// invocation (API Gateway, Function URL, timer, direct payload or
// EventBridge delivery) into signed ModifyInstancesProject calls and one
// JSON answer.
//
// Start with Handler.Invoke, which scf-go-lib's cloudfunction.StartHandler
// calls. Decoding each trigger's event (event.go, http.go, timer.go,
// cloudevent.go), the request (request.go, rulerequest.go), validation
// (validate.go), the tag rules (rules.go) and the answer (answer.go,
// ruleanswer.go, codes.go) are pure; handler.go, reconcile.go (listing
// instances with DescribeInstances and applying the rules), config.go and
// rulesenv.go hold the I/O.
//
// The contract: every invocation returns an answer, never a Go error, so SCF
// neither retries an asynchronous invocation nor drops the answer. The
// answer carries the upstream RequestId and Code, the instances and each
// batch; HTTP events get it inside an API Gateway response whose status
// follows the code (see HTTPStatus).
package handler
