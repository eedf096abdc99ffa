// Package run is the pipeline's run and confirm steps: a Runner carries out
// one invocation's Plan (a move or its dry run, a rule request, an
// EventBridge delivery) through cvm's one call path, and verifies each move
// (verify.go): the named instances read before (those already in the
// project not sent, their security groups noted), each accepted batch
// confirmed by batch.Confirm, the groups a move detached associated again
// (KEEP_SECURITY_GROUPS); instances an event names are read again for a
// short time until they are listed (reread.go).
//
// Start with Runner.Run; what it returns is an answer.Outcome for
// answer.Build.
package run
