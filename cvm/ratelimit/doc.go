// Package ratelimit paces the calls of one process per API action at a
// rate that adapts to the account's: it starts at the action's documented
// limit, is cut on a throttle (RequestLimitExceeded, HTTP 429) and grows
// back on a CUBIC curve while calls succeed, so that several SCF instances
// sharing one account converge on its limit. It is pure: the caller passes
// the time.
//
// Start with NewActionRates and ActionLimits; AdaptiveRate is one action's
// rate.
package ratelimit
