package ratelimit

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"
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

// ActionRates paces a Client's requests per action, each at its
// AdaptiveRate, made at the action's first request with the ceiling
// Ceilings names (requests a second, > 0; RATE_LIMIT sets
// ModifyInstancesProject's), else its DocumentedLimits, else
// DefaultActionLimit. Safe for concurrent use (Ceilings is only read); a
// nil *ActionRates paces nothing.
type ActionRates struct {
	Ceilings map[string]float64

	mu      sync.Mutex
	actions map[string]*AdaptiveRate
}

func (s *ActionRates) get(action string) *AdaptiveRate {
	a := s.actions[action]
	if a == nil {
		ceiling := cmp.Or(DocumentedLimits[action], DefaultActionLimit)
		if c := s.Ceilings[action]; c > 0 {
			ceiling = c
		}
		a = NewAdaptiveRate(ceiling)
		if s.actions == nil {
			s.actions = map[string]*AdaptiveRate{}
		}
		s.actions[action] = a
	}
	return a
}

// ErrTooLate is Wait's answer when action's turn would come too late.
var ErrTooLate = errors.New("the rate's next turn comes too late")

// Wait waits for a turn to send a request of action (AdaptiveRate.Take),
// reading clock and sleeping with sleep at most MaxPoll at a time so the
// wait follows the rate. It leaves the queue with ErrTooLate once the
// estimated turn is a time fits rejects (nil fits accepts all), or with
// sleep's or ctx's error.
func (s *ActionRates) Wait(ctx context.Context, action string, clock func() time.Time, sleep func(context.Context, time.Duration) error, fits func(at time.Time) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s == nil {
		if fits != nil && !fits(clock()) {
			return ErrTooLate
		}
		return nil
	}
	s.mu.Lock()
	turns := s.get(action)
	ticket := turns.Join()
	s.mu.Unlock()
	for {
		now := clock()
		s.mu.Lock()
		at, taken := turns.Take(ticket, now)
		if taken {
			s.mu.Unlock()
			return nil
		}
		if fits != nil && !fits(at) {
			turns.Leave(ticket)
			s.mu.Unlock()
			return ErrTooLate
		}
		s.mu.Unlock()
		if err := sleep(ctx, Poll(at, now)); err != nil {
			s.mu.Lock()
			turns.Leave(ticket)
			s.mu.Unlock()
			return err
		}
	}
}

// Update runs f on action's rate under the lock that guards them all (an
// AdaptiveRate is not safe for concurrent use): Sent before a request,
// Throttled or Succeeded at its answer. A nil *ActionRates runs nothing.
func (s *ActionRates) Update(action string, f func(*AdaptiveRate)) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.get(action))
}
