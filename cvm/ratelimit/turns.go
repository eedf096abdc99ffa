package ratelimit

import (
	"slices"
	"time"
)

// Turns gives one action's turns to send in one process, one at a time
// (burst 1), first come first served, at its AdaptiveRate as the rate is
// at each moment: the turn after one given at last comes once
// now ≥ last + 1/rate(now). So a wait follows the rate: when it grows back
// (along its curve, in time, whether or not an answer came), the waiters go
// sooner; when a throttle cuts it, later. A turn is never reserved at the
// rate of the moment it was asked for (a token bucket's reservation, which
// keeps a long wait taken at a low rate).
//
// It cannot livelock: the waiters queue in order and only the first may go;
// each check either gives it its turn or says when to look again, the rate
// is never below Floor (> 0), and a waiter that gives up leaves the queue
// without moving anyone else's place.
//
// It is pure, as AdaptiveRate is: every method takes the time; ActionRates
// serializes the calls and does the waiting (ActionRates.Wait).
type Turns struct {
	rate  *AdaptiveRate
	last  time.Time // the last turn given; zero: none yet
	queue []uint64  // the waiters' tickets, in order
	next  uint64    // the next ticket
}

// NewTurns returns the turns of an action paced by rate.
func NewTurns(rate *AdaptiveRate) *Turns { return &Turns{rate: rate} }

// Join queues a waiter and returns its ticket.
func (t *Turns) Join() uint64 {
	t.next++
	t.queue = append(t.queue, t.next)
	return t.next
}

// Leave takes ticket out of the queue (given up), keeping the others' order.
func (t *Turns) Leave(ticket uint64) {
	if i := slices.Index(t.queue, ticket); i >= 0 {
		t.queue = slices.Delete(t.queue, i, i+1)
	}
}

// Take gives ticket its turn at now when it is first in the queue and its
// time has come, and reports whether it did (the ticket then has left the
// queue).
func (t *Turns) Take(ticket uint64, now time.Time) bool {
	if len(t.queue) == 0 || t.queue[0] != ticket || now.Before(t.headAt(now)) {
		return false
	}
	t.queue = t.queue[1:]
	t.last = now
	return true
}

// headAt is when the first waiter may go, at the rate of now.
func (t *Turns) headAt(now time.Time) time.Time {
	if t.last.IsZero() {
		return now
	}
	return t.last.Add(interval(t.rate.RateAt(now)))
}

// At estimates when ticket's turn comes, seen at now, if nothing else
// happens: the first waiter's at the rate of now, each next one interval
// later at the rate the curve will then have. The rate only grows along
// its curve, so this is never earlier than the turn; a waiter looks again
// at least every MaxPoll to catch a turn the growth brings forward. The
// zero time for a ticket not queued.
func (t *Turns) At(ticket uint64, now time.Time) time.Time {
	pos := slices.Index(t.queue, ticket)
	if pos < 0 {
		return time.Time{}
	}
	at := t.headAt(now)
	if at.Before(now) {
		at = now
	}
	for range pos {
		at = at.Add(interval(t.rate.RateAt(at)))
	}
	return at
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

// interval is the time between two turns at rate r (requests a second).
func interval(r float64) time.Duration {
	return time.Duration(float64(time.Second) / r)
}
