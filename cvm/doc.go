// Package cvm is the client of the CVM API: it builds one signed request per
// call (v1 form POST on the legacy or API 3.0 endpoint, or TC3 JSON POST),
// sends it, and parses either answer shape into a Result.
//
// Start with New and Client.Call; ModifyInstancesProject, DescribeInstances
// and ModifyInstancesAttribute (security groups only) are the actions this
// function makes; cvm/listing pages through DescribeInstances. An
// Instance carries its project, tags, security groups and latest operation
// (LatestOperationState, LatestOperationRequestId), which cvm/batch's
// Confirm reads to confirm a move. An upstream error code is a Result, not
// a Go error: a Go error means no usable answer came back (ErrUnreachable,
// ErrBadResponse, or the context's error); listing.Instances returns the code
// as a *listing.APIError.
//
// Call retries what is safe to retry (Retryable, a pure judgement of the
// answer) with exponential backoff and full jitter, signs every attempt
// anew, waits for the client's rate limiter before each, and starts none
// that the deadline leaves no time for (retry.go, attempt.go).
package cvm
