// Package batch moves instances the way the API allows: ModifyInstancesProject
// in batches of at most 100 (cvm.MaxInstancesPerCall), several in flight,
// each through the client's one call path; and, for a batch refused because
// of some of its instances (unknown, malformed, bound to a load balancer),
// the isolation of those instances so that the others move.
//
// Confirm is the waiter of a move: ModifyInstancesProject only starts an
// operation on each instance, and Confirm polls DescribeInstances with
// backoff until each one's LatestOperationState for the batch's RequestId
// is SUCCESS or FAILED (Decide, pure), or the deadline comes.
//
// Start with Move. It lives beside the cvm client as an SDK's paginators
// and waiters do, and imports nothing of the SCF runtime.
package batch
