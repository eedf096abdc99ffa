package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DocumentedLimits are the CVM API's default request limits (requests a
// second, per account) of the actions this function makes, from the API's
// documentation ("Request Frequency Limit" of each action; the CVM API
// overview lists them all).
var DocumentedLimits = map[string]float64{
	"ModifyInstancesProject":   10,
	"DescribeInstances":        40,
	"ModifyInstancesAttribute": 10,
	"AttachResourcesTag":       20, // Tag API 2018-08-13: writes, 20 a second
	"DetachResourcesTag":       20,
}

// DefaultActionLimit is the limit of an action not in DocumentedLimits:
// most CVM actions allow 10 a second.
const DefaultActionLimit = 10

// ActionLimits returns the ceilings of ActionRates for a RATE_LIMIT of
// rateLimit requests a second: DocumentedLimits, with ModifyInstancesProject
// set to rateLimit (as RATE_LIMIT always set it). rateLimit 0 means no
// client-side limit: nil, and the Client should get no ActionRates.
func ActionLimits(rateLimit float64) map[string]float64 {
	if rateLimit <= 0 {
		return nil
	}
	limits := make(map[string]float64, len(DocumentedLimits))
	for k, v := range DocumentedLimits {
		limits[k] = v
	}
	limits["ModifyInstancesProject"] = rateLimit
	return limits
}

// ActionRates paces a Client's requests per action: each action has its
// own token bucket (burst 1) whose rate an AdaptiveRate sets, cut when the
// API throttles the action and grown back while it answers. One ActionRates
// serves every invocation of a warm process, like the Client. It is safe
// for concurrent use.
type ActionRates struct {
	mu       sync.Mutex
	ceilings map[string]float64
	fallback float64
	actions  map[string]*actionRate
}

type actionRate struct {
	limiter  *rate.Limiter
	adaptive *AdaptiveRate
}

// NewActionRates returns the rates of actions limited to ceilings
// (requests a second, > 0); an action not named there gets
// DefaultActionLimit.
func NewActionRates(ceilings map[string]float64) *ActionRates {
	c := make(map[string]float64, len(ceilings))
	for k, v := range ceilings {
		if v > 0 {
			c[k] = v
		}
	}
	return &ActionRates{ceilings: c, fallback: DefaultActionLimit, actions: map[string]*actionRate{}}
}

// Rate returns action's rate now (its ceiling until it is throttled).
func (s *ActionRates) Rate(action string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(action).adaptive.Rate()
}

// Ceiling returns action's ceiling.
func (s *ActionRates) Ceiling(action string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(action).adaptive.Ceiling
}

func (s *ActionRates) get(action string) *actionRate {
	a := s.actions[action]
	if a == nil {
		ceiling, ok := s.ceilings[action]
		if !ok {
			ceiling = s.fallback
		}
		a = &actionRate{limiter: rate.NewLimiter(rate.Limit(ceiling), 1), adaptive: NewAdaptiveRate(ceiling)}
		s.actions[action] = a
	}
	return a
}

// Limiter returns the token bucket of action, to reserve a turn on.
func (s *ActionRates) Limiter(action string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(action).limiter
}

// Sent records a request of action sent at now.
func (s *ActionRates) Sent(action string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.get(action).adaptive.Sent(now)
}

// Answered records the answer, at now, to a request of action sent at
// sentAt: a throttle or not; and sets the bucket's rate.
func (s *ActionRates) Answered(action string, sentAt, now time.Time, throttled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.get(action)
	if throttled {
		a.adaptive.Throttled(now, sentAt)
	} else {
		a.adaptive.Succeeded(now)
	}
	if r := rate.Limit(a.adaptive.Rate()); r != a.limiter.Limit() {
		a.limiter.SetLimitAt(now, r)
	}
}
