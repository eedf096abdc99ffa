package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// took and when are Take's two answers, one at a time.
func took(_ time.Time, taken bool) bool   { return taken }
func when(at time.Time, _ bool) time.Time { return at }

// cut returns a rate of 10 a second cut to its floor (1) at ms 1000.
func cut() *AdaptiveRate {
	a := NewAdaptiveRate(10)
	a.Throttled(at(1000), at(900))
	for range 5 {
		a.Throttled(at(1000), at(1000))
	}
	return a
}

func TestTurnsComeInOrderAtTheRate(t *testing.T) {
	turns := NewAdaptiveRate(10)
	first, second, third := turns.Join(), turns.Join(), turns.Join()
	assert.False(t, took(turns.Take(second, at(0))), "not first in the queue")
	assert.True(t, took(turns.Take(first, at(0))), "the first turn at once (burst 1)")
	assert.False(t, took(turns.Take(second, at(99))), "a tenth of a second after the last")
	assert.Equal(t, at(100), when(turns.Take(second, at(50))))
	assert.Equal(t, at(200), when(turns.Take(third, at(50))), "one interval after the one before")
	turns.Leave(second)
	assert.Equal(t, at(100), when(turns.Take(third, at(50))), "one who gave up leaves its place")
	assert.True(t, took(turns.Take(third, at(100))))
	assert.True(t, when(turns.Take(second, at(100))).IsZero(), "not queued")
}

// A turn waited for at a low rate comes sooner when the rate grows back:
// the wait follows the rate, it is not reserved at the rate of the asking.
func TestATurnFollowsTheRate(t *testing.T) {
	tests := []struct {
		name      string
		rate      func() *AdaptiveRate
		askMs     int
		wantNotMs int // no turn yet then
		wantMs    int // the turn by then
	}{
		{"at the ceiling: one a tenth of a second", func() *AdaptiveRate { return NewAdaptiveRate(10) }, 1000, 1099, 1100},
		// At the floor (1 a second) a turn reserved at 1000 would come at
		// 2000; the rate grows along its curve meanwhile.
		{"after a cut: sooner than at the rate of the asking", cut, 1000, 1500, 1900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			turns := tt.rate()
			require.True(t, took(turns.Take(turns.Join(), at(tt.askMs))))
			next := turns.Join()
			est := when(turns.Take(next, at(tt.askMs)))
			assert.False(t, took(turns.Take(next, at(tt.wantNotMs))))
			assert.True(t, took(turns.Take(next, at(tt.wantMs))))
			assert.False(t, est.Before(at(tt.wantNotMs)), "the estimate is never early: %v", est.Sub(t0))
		})
	}
}

// fakeTime is a clock that sleeping advances.
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeTime) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	return nil
}

func TestWait(t *testing.T) {
	const action = "ModifyInstancesProject"
	tests := []struct {
		name    string
		fits    func(at time.Time) bool
		ctx     func() context.Context
		want    error
		wantNow time.Time
	}{
		{"the turn after the first, a tenth of a second later", nil, context.Background, nil, at(100)},
		{"a turn that comes too late is not waited for", func(at time.Time) bool { return at.Before(t0.Add(50 * time.Millisecond)) }, context.Background, ErrTooLate, at(0)},
		{"the caller's end", nil, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, context.Canceled, at(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTime{now: t0}
			r := &ActionRates{Ceilings: map[string]float64{action: 10}}
			require.NoError(t, r.Wait(context.Background(), action, ft.clock, ft.sleep, nil))
			assert.ErrorIs(t, r.Wait(tt.ctx(), action, ft.clock, ft.sleep, tt.fits), tt.want)
			assert.Equal(t, tt.wantNow, ft.clock())
			if tt.want != nil { // given up: the place is free for the next
				require.NoError(t, r.Wait(context.Background(), action, ft.clock, ft.sleep, nil))
				assert.Equal(t, at(100), ft.clock())
			}
		})
	}
}

// Many waiters at once all get their turns, one at a time, in about the
// time the rate allows: no waiter is stuck behind another that gave up,
// and none spins.
func TestManyWaitersAllGetTheirTurns(t *testing.T) {
	r := &ActionRates{Ceilings: map[string]float64{"A": 200}}
	sleep := func(ctx context.Context, d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var turns []time.Time
	for i := range 40 {
		wg.Go(func() {
			ctx := context.Background()
			if i%4 == 0 { // a quarter give up early
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 20*time.Millisecond)
				defer cancel()
			}
			if r.Wait(ctx, "A", time.Now, sleep, nil) == nil {
				mu.Lock()
				turns = append(turns, time.Now())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.GreaterOrEqual(t, len(turns), 30)
	assert.Less(t, time.Since(start), 2*time.Second, "40 turns at 200 a second")
	assert.GreaterOrEqual(t, time.Since(start), time.Duration(len(turns)-1)*5*time.Millisecond*9/10, "never faster than the rate")
}

// RATE_LIMIT sets ModifyInstancesProject's ceiling; every other action
// keeps its documented limit, or DefaultActionLimit.
func TestActionCeilings(t *testing.T) {
	for _, rateLimit := range []float64{10, 2.5, 50} {
		r := &ActionRates{Ceilings: map[string]float64{"ModifyInstancesProject": rateLimit}}
		want := map[string]float64{"ModifyInstancesProject": rateLimit, "DescribeInstances": 40, "ModifyInstancesAttribute": 10,
			"AttachResourcesTag": 20, "DetachResourcesTag": 20, "StartInstances": DefaultActionLimit}
		got := map[string]float64{}
		for action := range want {
			got[action] = r.get(action).Ceiling
		}
		assert.Equal(t, want, got, "RATE_LIMIT=%g", rateLimit)
	}
}
