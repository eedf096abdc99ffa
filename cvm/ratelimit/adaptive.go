package ratelimit

import (
	"math"
	"slices"
	"time"
)

// AdaptiveRate is one action's sending rate in one process, in requests a
// second within [Floor, Ceiling]: cut by Beta on a throttle
// (RequestLimitExceeded*, HTTP 429), grown back on a cubic curve in time
// (RateAt); it gives the action's turns first come first served (Join,
// Take, Leave). Unlike the AWS SDK for Go v2's adaptive mode it cuts once
// per congestion event (AWS cuts per throttle: k in flight cut to 0.7ᵏ),
// starts at Ceiling, applies fast convergence (RFC 9438 §4.7) and has a
// floor (docs/retries-and-limits.md). Pure: no clock, sleep or lock
// (ActionRates does those); use NewAdaptiveRate.
type AdaptiveRate struct {
	// Ceiling and Floor bound the rate (requests a second).
	Ceiling, Floor float64
	// Beta is what a throttle leaves of the rate (0.7).
	Beta float64
	// Scale is the cubic's scale, in Ceilings a second³ (0.04: back at
	// the peak 2.0 s after a cut from Ceiling).
	Scale float64
	// Tau is how far back the measured sending rate looks (1 s).
	Tau time.Duration

	rate     float64   // now
	peak     float64   // the rate at the last cut (W_max), after fast convergence
	k        float64   // seconds from the last cut until the curve is back at peak
	lastCut  time.Time // zero: never throttled
	sent     float64   // decaying count of sends (e-folding time Tau)
	lastSent time.Time
	// firstSent starts the current run of sends (after 5 Tau idle, anew).
	firstSent time.Time

	lastTurn time.Time // the last turn given; zero: none yet
	queue    []uint64  // the waiters' tickets, in order
	ticket   uint64    // the last ticket given
}

// Defaults of NewAdaptiveRate.
const (
	DefaultBeta       = 0.7
	DefaultScale      = 0.04
	DefaultFloorShare = 0.1 // Floor = Ceiling·DefaultFloorShare, at least MinRate
	MinRate           = 0.2 // requests a second: one every 5 s at worst
)

// NewAdaptiveRate returns the rate of an action limited to ceiling
// requests a second (> 0), starting at ceiling.
func NewAdaptiveRate(ceiling float64) *AdaptiveRate {
	floor := max(ceiling*DefaultFloorShare, MinRate)
	if floor > ceiling {
		floor = ceiling
	}
	return &AdaptiveRate{Ceiling: ceiling, Floor: floor, Beta: DefaultBeta, Scale: DefaultScale, Tau: time.Second, rate: ceiling}
}

// Rate returns the rate at the last answer, in requests a second.
func (a *AdaptiveRate) Rate() float64 { return a.rate }

// RateAt returns the rate at now, in requests a second: on the curve from
// the last cut, as the next success at now would set it (the rate at the
// last answer for a now before it, and Ceiling before any throttle).
func (a *AdaptiveRate) RateAt(now time.Time) float64 {
	if a.lastCut.IsZero() || !now.After(a.lastCut) {
		return a.rate
	}
	t := now.Sub(a.lastCut).Seconds() - a.k
	return min(a.Ceiling, max(a.Floor, a.scale()*t*t*t+a.peak))
}

// Sent records a request sent at now.
func (a *AdaptiveRate) Sent(now time.Time) {
	if a.lastSent.IsZero() || now.Sub(a.lastSent) > 5*a.Tau {
		a.firstSent = now
	}
	a.sent = a.decayed(now) + 1
	a.lastSent = now
}

// measured returns the rate this process has been sending at lately: the
// decaying count over the window it covers (shorter than Tau's weight when
// the sends began recently), 0 before any send.
func (a *AdaptiveRate) measured(now time.Time) float64 {
	if a.lastSent.IsZero() {
		return 0
	}
	tau := a.Tau.Seconds()
	span := max(now.Sub(a.firstSent).Seconds(), 1/a.Ceiling) // one request's worth at least
	return a.decayed(now) / (tau * (1 - math.Exp(-span/tau)))
}

func (a *AdaptiveRate) decayed(now time.Time) float64 {
	if a.lastSent.IsZero() {
		return 0
	}
	dt := now.Sub(a.lastSent).Seconds()
	if dt <= 0 {
		return a.sent
	}
	return a.sent * math.Exp(-dt/a.Tau.Seconds())
}

// Throttled records that a request sent at sentAt was throttled, learnt at
// now, and reports whether the rate was cut (once per congestion event).
func (a *AdaptiveRate) Throttled(now, sentAt time.Time) bool {
	if !a.lastCut.IsZero() && sentAt.Before(a.lastCut) {
		return false // Sent before the last cut: that cut answered it
	}
	base := a.rate
	if m := a.measured(now); m > 0 && m < base {
		base = max(m, a.Floor) // cut what is sent, not an allowance unused
	}
	peak := base
	if !a.lastCut.IsZero() && base < a.peak {
		peak = base * (1 + a.Beta) / 2 // fast convergence: the share shrank
	}
	a.rate = max(a.Floor, base*a.Beta)
	a.peak = max(peak, a.rate)
	a.k = math.Cbrt((a.peak - a.rate) / a.scale())
	a.lastCut = now
	return true
}

// Succeeded records an answer that was not a throttle, at now, and grows
// the rate along the cubic curve from the last cut.
func (a *AdaptiveRate) Succeeded(now time.Time) { a.rate = a.RateAt(now) }

func (a *AdaptiveRate) scale() float64 { return a.Scale * a.Ceiling }

// Join queues a waiter and returns its ticket.
func (a *AdaptiveRate) Join() uint64 {
	a.ticket++
	a.queue = append(a.queue, a.ticket)
	return a.ticket
}

// Leave takes ticket out of the queue (given up), keeping the others' order.
func (a *AdaptiveRate) Leave(ticket uint64) {
	if i := slices.Index(a.queue, ticket); i >= 0 {
		a.queue = slices.Delete(a.queue, i, i+1)
	}
}

// Take gives ticket its turn at now, and reports true, when it is first in
// the queue and now ≥ last turn + 1/RateAt(now); the ticket then leaves
// the queue. Otherwise it returns the estimated turn, never earlier than
// the real one (the rate only grows along its curve), or the zero time for
// a ticket not queued.
func (a *AdaptiveRate) Take(ticket uint64, now time.Time) (time.Time, bool) {
	pos := slices.Index(a.queue, ticket)
	if pos < 0 {
		return time.Time{}, false
	}
	at := now
	if !a.lastTurn.IsZero() {
		at = a.lastTurn.Add(time.Duration(float64(time.Second) / a.RateAt(now)))
	}
	if pos == 0 && !now.Before(at) {
		a.queue = a.queue[1:]
		a.lastTurn = now
		return now, true
	}
	if at.Before(now) {
		at = now
	}
	for range pos {
		at = at.Add(time.Duration(float64(time.Second) / a.RateAt(at)))
	}
	return at, false
}

// MaxPoll is the longest a waiter sleeps before it looks at its turn
// again: how late, at most, a wait follows a rate that grew.
const MaxPoll = 50 * time.Millisecond

// Poll returns how long a waiter whose turn is estimated at at sleeps,
// seen at now, before it looks again: until at, at most MaxPoll, at least
// a millisecond (a waiter whose estimate has come is next after one that
// has not taken its turn yet).
func Poll(at, now time.Time) time.Duration {
	return max(time.Millisecond, min(at.Sub(now), MaxPoll))
}
