// Package ratelimit paces one process's requests per API action at a rate
// that adapts to the account's limit (docs/retries-and-limits.md, "The
// adaptive rate"). Its rates are pure: the caller passes the time. Start
// with ActionRates.
package ratelimit
