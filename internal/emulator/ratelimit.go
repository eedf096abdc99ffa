package emulator

import "maps"

// ActionModifyAttribute is the action that replaces instances' security
// groups (modifyattr.go).
const ActionModifyAttribute = "ModifyInstancesAttribute"

// DefaultRateLimits returns the request frequency limits the APIs
// document for the actions the emulator answers, in requests a second,
// account-wide, per action (each action's page, section 1, "A maximum of
// N requests can be initiated per second for this API", and the CVM API
// overview's table of frequency limits, document 213/568):
//
//	ModifyInstancesProject    10   (CVM)
//	DescribeInstances         40
//	ModifyInstancesAttribute  10
//	DescribeRegions           20
//	AttachResourcesTag        20   (Tag API)
//	DetachResourcesTag        20
//	DescribeProjects          20
//	Invoke                   100   (SCF)
func DefaultRateLimits() map[string]int {
	return map[string]int{
		Action: 10, ActionDescribe: 40, ActionModifyAttribute: 10, ActionDescribeRegions: 20,
		ActionAttachResourcesTag: 20, ActionDetachResourcesTag: 20, ActionDescribeProjects: 20,
		ActionInvoke: 100,
	}
}

// rateLimits is the account-wide, per-action limit state, guarded by
// Emulator.mu. The emulator serves one account (every key it accepts is
// that account's), so a limit per action is a limit per account and action.
type rateLimits struct {
	perSecond map[string]int // nil: off; an action absent or ≤ 0 is not limited
	window    int64          // the Unix second the counts are of
	admitted  map[string]int // requests admitted in window, per action
	throttled map[string]int // requests refused since SetRateLimits, per action
}

// SetRateLimits limits each action of limits to that many requests a
// second (a fixed one-second window on the emulator's clock: the second
// of SetClock's time, truncated), counting the requests of every key and
// every client together, as the API counts them for an account. A request
// beyond its action's limit is answered RequestLimitExceeded (HTTP 200, in
// the shape the request takes, as every API error) and recorded in Calls
// with that Code; it does not carry out the action. Only requests that
// passed authentication and name an action the emulator answers are
// counted, like the API, whose frequency control runs after the
// signature check. An action absent from limits, or with a limit ≤ 0, is
// not limited; nil or an empty map turns the limits off (the default).
// SetRateLimits also resets the counts of Throttled. See EnableRateLimits
// for the documented limits. It is independent of SetRateLimit (a token
// bucket for ModifyInstancesProject's retries tests).
func (e *Emulator) SetRateLimits(limits map[string]int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.limits = rateLimits{}
	if len(limits) > 0 {
		e.limits.perSecond = maps.Clone(limits)
		e.limits.admitted = map[string]int{}
		e.limits.throttled = map[string]int{}
	}
}

// EnableRateLimits sets the API's documented limits, DefaultRateLimits.
func (e *Emulator) EnableRateLimits() { e.SetRateLimits(DefaultRateLimits()) }

// Throttled returns, per action, how many requests SetRateLimits' limits
// refused since they were set (a copy; empty when off). SetRateLimit's
// and scripted RequestLimitExceeded answers are not counted.
func (e *Emulator) Throttled() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	maps.Copy(out, e.limits.throttled)
	return out
}

// limitRate admits one request of action in the current one-second window
// or answers RequestLimitExceeded.
func (e *Emulator) limitRate(action string) *apiError {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := &e.limits
	max := l.perSecond[action]
	if max <= 0 {
		return nil
	}
	if sec := e.now().Unix(); sec != l.window {
		l.window = sec
		clear(l.admitted)
	}
	if l.admitted[action] >= max {
		l.throttled[action]++
		return errorf(CodeRequestLimitExceeded, "Your current request is too frequent: %s allows at most %d requests a second for the account; try again later.", action, max)
	}
	l.admitted[action]++
	return nil
}
