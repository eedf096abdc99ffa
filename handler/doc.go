// Package handler is the function's SCF contract: Handler.Invoke decodes
// (trigger), guards (guard), plans (request, rules; every refusal before
// any write), gets credentials, runs (run) and answers (answer.Build); see
// pipeline.go. Unfinished work of an invocation nobody reads is a function
// error (*answer.UnfinishedError), so that SCF retries it.
package handler
