// Package handler is the function's SCF contract: Handler.Invoke runs one
// invocation through the pipeline once (pipeline.go): decode (trigger) →
// guard (guard) → plan (request, rules; every refusal decided before any
// I/O) → credentials, once → run (run) → answer (answer.Build). An
// invocation nobody reads that leaves work a retry can finish returns a
// function error (*answer.UnfinishedError), so that SCF retries it.
package handler
