// Package emulator is a loopback emulator of the Tencent Cloud CVM API's
// ModifyInstancesProject, DescribeInstances and ModifyInstancesAttribute
// (version 2017-03-12) for the demo and the end-to-end tests: New, then
// AddKey and AddInstances, then Start.
//
// It answers on the legacy endpoint (/v2/index.php, v1 signatures) and on
// API 3.0 (/, v1 or TC3-HMAC-SHA256), verifies every signature with the
// signer package, moves instances all-or-nothing over an in-memory table,
// lists them with their project and tags (filters, Offset and Limit), and
// records every request it receives (Calls). FailDescribeInstances makes
// listings fail on purpose.
//
// NewSTS and NewMetadata add, each on its own loopback listener, STS
// AssumeRole and the CVM metadata service's instance-role paths: both issue
// temporary keys that the Emulator accepts until they expire (then
// AuthFailure.TokenFailure).
//
// For tests of failure, it can script faults per request (Script: a delay,
// a connection reset, HTTP 500/502/429 with HTML, truncated JSON,
// InternalServerError, RequestLimitExceeded, SignatureExpire), answer
// slowly (SetLatency), enforce a rate limit (SetRateLimit), and name no
// instance in its refusals (SetTerseMessages); see faults.go.
//
// SetRateLimits (or EnableRateLimits, the documented 10/s, 40/s, 10/s)
// enforces the API's account-wide request frequency limits per action in
// fixed one-second windows of its clock, answering RequestLimitExceeded;
// Throttled counts the refusals per action (ratelimit.go).
//
// Instances may have a Region: a request sees only its region's instances
// and those without one (regions.go). An accepted move is an operation
// (operations.go): LatestOperation, LatestOperationState OPERATING and
// LatestOperationRequestId, for SetOperationDuration on the emulator's
// clock (0 by default: it ends as it starts), then SUCCESS with the new
// project or, for an instance with FailMove, FAILED with the old one;
// meanwhile calls naming the instance are refused with
// OperationDenied.InstanceOperationInProgress. Nothing runs in the
// background: each read settles what is due.
//
// Instances have SecurityGroupIDs: ModifyInstancesAttribute (InstanceIds.N
// and SecurityGroups.N, or their JSON arrays under TC3) replaces them, and
// SetDetachSecurityGroupsOnMove makes a successful move unbind them, as
// the legacy ModifyInstancesProject page documents (modifyattr.go). It is
// signed and checked like the other actions, and recorded in Calls with
// its SecurityGroups.
package emulator
