// Package emulator is a loopback emulator of the Tencent Cloud APIs the
// function calls, for the demo and the end-to-end tests: New, then AddKey
// and AddInstances, then Start. Each rule comes from the APIs'
// documentation, cited where it is modelled; where the documentation is
// silent, the comment says so.
//
// One listener answers CVM (2017-03-12: ModifyInstancesProject,
// DescribeInstances, ModifyInstancesAttribute, DescribeRegions) on
// PathAPI3 and PathLegacy, the Tag API (2018-08-13: AttachResourcesTag,
// DetachResourcesTag, DescribeProjects) on PathTag (tagapi.go), and SCF's
// Invoke (2018-04-16) on PathSCF (scf.go). Every request is signed (v1 or
// TC3, verified with the signer package) and recorded (Calls).
//
// Where to look:
//   - states.go: InstanceState, RestrictState, IsolatedSource; someone
//     else's operations (StartOperation, Terminate, Recycle, LaunchFail)
//     and the refusals of a move by state.
//   - operations.go: a move is an operation on the emulator's clock
//     (SetOperationDuration, FailMove, SetMutexTaskRunning,
//     SetDetachSecurityGroupsOnMove, ChangeGroupsDuringMove). Nothing runs
//     in the background: each read settles what is due.
//   - modify.go: the order of ModifyInstancesProject's refusals; projects.go
//     (AddProjects, InvalidProjectId.NotFound).
//   - regions.go: a request sees its region's instances; DescribeRegions;
//     FailRegion.
//   - faults.go and ratelimit.go: scripted faults (Script, ScriptAction),
//     latency, the documented per-action rate limits (EnableRateLimits).
//   - sts.go and metadata.go: STS AssumeRole and the metadata service,
//     each on its own listener, issuing temporary keys the Emulator accepts.
package emulator
