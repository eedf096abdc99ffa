// Package batch moves instances the way the API allows, beside the client
// as an SDK's waiters are: Next decides from an instance's state what to do
// with it (pure), Move sends one batch of at most 100 (busy instances set
// aside, invalid ones isolated), and Wait is the waiter that polls
// DescribeInstances until a state function decides every instance.
package batch
