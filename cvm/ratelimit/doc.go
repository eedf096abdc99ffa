// Package ratelimit paces the calls of one process per API action at a
// rate that adapts to the account's: it starts at the action's documented
// limit, is cut on a throttle (RequestLimitExceeded, HTTP 429), never below
// a tenth of it, and grows back on a CUBIC curve in time, so that several
// SCF instances sharing one account converge on its limit; a request waits
// for its turn at the rate as it is at each moment. The rates and turns
// are pure: the caller passes the time.
//
// Start with NewActionRates; AdaptiveRate is one action's rate and its
// turns.
package ratelimit
