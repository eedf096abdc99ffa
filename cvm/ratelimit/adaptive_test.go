package ratelimit

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1700000000, 0)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestAdaptiveRate(t *testing.T) {
	type event struct {
		ms       int  // when the answer came
		sentMs   int  // when its request was sent
		throttle bool // a throttle, else a success
	}
	tests := []struct {
		name    string
		sends   []int // ms of requests sent
		events  []event
		want    float64 // rate after the events
		wantCut []bool  // per throttle event: did it cut
	}{
		{"never throttled: at the ceiling", nil, []event{{100, 0, false}, {200, 100, false}}, 10, nil},
		{"a throttle cuts to 0.7", []int{0, 100, 200, 300, 400, 500, 600, 700, 800, 900}, []event{{950, 900, true}}, 7, []bool{true}},
		{"throttles of requests sent before the cut cut nothing more", []int{0, 100, 200, 300, 400, 500, 600, 700, 800, 900},
			[]event{{950, 900, true}, {960, 910, true}, {970, 920, true}}, 7, []bool{true, false, false}},
		{"a throttle of a request sent after the cut cuts again", []int{0, 100, 200, 300, 400, 500, 600, 700, 800, 900},
			[]event{{950, 900, true}, {1200, 1000, true}}, 0.7 * 0.7 * 10, []bool{true, true}},
		{"a process sending less than its rate cuts what it sends", []int{0, 500},
			[]event{{600, 500, true}}, 0, []bool{true}}, // checked below against measured
		{"the rate never falls below the floor, a tenth of the ceiling", []int{0},
			[]event{{100, 0, true}, {200, 150, true}, {300, 250, true}, {400, 350, true}, {500, 450, true}, {600, 550, true}, {700, 650, true},
				{800, 750, true}, {900, 850, true}, {1000, 950, true}, {1100, 1050, true}, {1200, 1150, true}}, 1, nil},
		{"grown back to the ceiling while calls succeed", []int{0, 100, 200, 300, 400, 500, 600, 700, 800, 900},
			[]event{{950, 900, true}, {60000, 59000, false}}, 10, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAdaptiveRate(10)
			for _, ms := range tt.sends {
				a.Sent(at(ms))
			}
			var cuts []bool
			for _, e := range tt.events {
				if e.throttle {
					cuts = append(cuts, a.Throttled(at(e.ms), at(e.sentMs)))
				} else {
					a.Succeeded(at(e.ms))
				}
			}
			if tt.name == "a process sending less than its rate cuts what it sends" {
				assert.Less(t, a.Rate(), 3.5, "2 requests in 0.6 s: cut to 0.7 of what was sent, not to 7")
				return
			}
			assert.InDelta(t, tt.want, a.Rate(), 1e-9)
			if tt.wantCut != nil {
				assert.Equal(t, tt.wantCut, cuts)
			}
		})
	}
}

// After a cut the rate grows monotonically: slowly near the old peak
// (the cubic's plateau), faster beyond it, and never past the ceiling.
func TestAdaptiveRateGrowsBackOnACubic(t *testing.T) {
	a := NewAdaptiveRate(10)
	for ms := 0; ms < 1000; ms += 100 {
		a.Sent(at(ms))
	}
	a.Throttled(at(1000), at(900))
	prev := a.Rate()
	var rates []float64
	for ms := 1100; ms <= 20000; ms += 100 {
		a.Succeeded(at(ms))
		r := a.Rate()
		assert.GreaterOrEqual(t, r, prev, "at %d ms", ms)
		assert.LessOrEqual(t, r, 10.0)
		rates = append(rates, r)
		prev = r
	}
	assert.Equal(t, 10.0, rates[len(rates)-1])
	k := a.k
	atPeak := int(k*10) - 1 // index of the sample near the plateau
	assert.InDelta(t, a.peak, rates[atPeak], 0.1, "back near the old peak after K = %.2f s", k)
	assert.Greater(t, a.peak, 9.0)
}

// Fast convergence: a throttle below the previous peak remembers a lower
// peak than the rate it cut, so a process gives way to newcomers sooner.
func TestAdaptiveRateFastConvergence(t *testing.T) {
	a := NewAdaptiveRate(10)
	for ms := 0; ms < 1000; ms += 100 {
		a.Sent(at(ms))
	}
	a.Throttled(at(1000), at(900)) // peak 10, rate 7
	for ms := 1000; ms < 2000; ms += 143 {
		a.Sent(at(ms))
	}
	a.Throttled(at(2000), at(1900)) // base ≈ 7 < 10
	assert.Less(t, a.peak, 7.0, "the peak remembered is below the rate cut")
	assert.InDelta(t, 0.7*7, a.Rate(), 0.5)
}

// RateAt is the curve at any time: what a success then would set, growing
// while no answer comes; before the last event, the rate of that event.
func TestAdaptiveRateAtFollowsTheCurve(t *testing.T) {
	a := NewAdaptiveRate(10)
	assert.Equal(t, 10.0, a.RateAt(at(500)), "never throttled: the ceiling")
	for ms := 0; ms < 1000; ms += 100 {
		a.Sent(at(ms))
	}
	a.Throttled(at(1000), at(900))
	cutTo := a.Rate() // 0.7 of what was measured
	require.InDelta(t, 6.7, cutTo, 0.1)
	tests := []struct {
		name string
		ms   int
		want float64
	}{
		{"at the cut", 1000, cutTo},
		{"before the cut", 900, cutTo},
		{"back at the peak K after the cut", 1000 + int(math.Round(a.k*1000)), a.peak},
		{"never above the ceiling", 60000, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, a.RateAt(at(tt.ms)), 0.01)
		})
	}
	r := a.RateAt(at(1500))
	a.Succeeded(at(1500))
	assert.Equal(t, r, a.Rate(), "a success sets the rate RateAt gives")
}
