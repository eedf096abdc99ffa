// Package answer is the function's one vocabulary of answers: the Answer
// and its fields, every code (the CVM API's own where it has one), the HTTP
// status of each (HTTPStatus), the one classifier of errors into codes
// (FromCall), and which failures a retry can fix (Retryable, Unfinished).
// Start with Build, which turns what a run did (an Outcome) into the Answer.
package answer
