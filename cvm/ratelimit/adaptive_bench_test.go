package ratelimit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// pacer is what the simulation drives: a process's sending rate.
type pacer interface {
	Rate() float64
	Sent(now time.Time)
	Throttled(now, sentAt time.Time) bool
	Succeeded(now time.Time)
}

// fixedRate is today's client: RATE_LIMIT, whatever the API answers.
type fixedRate float64

func (f fixedRate) Rate() float64                     { return float64(f) }
func (fixedRate) Sent(time.Time)                      {}
func (fixedRate) Throttled(time.Time, time.Time) bool { return false }
func (fixedRate) Succeeded(time.Time)                 {}

// awsModel models the AWS SDK for Go v2's adaptive rate limiter from its
// published description (written here, not copied): the measured rate is
// an average over half-second buckets smoothed by 0.8; every throttle cuts
// to 0.7·min(measured, rate) and restarts the cubic (scale 0.4) from
// there; a success sets the rate on the cubic, at most twice the measured
// rate, at least 0.5. Its ceiling is ours, to compare like with like (AWS
// starts unlimited).
type awsModel struct {
	ceiling          float64
	rate, lastMax, k float64
	lastThrottle     time.Time
	measured, bucket float64
	count            int
	enabled          bool
}

func newAWSModel(ceiling float64, now time.Time) *awsModel {
	return &awsModel{ceiling: ceiling, rate: ceiling, bucket: math.Floor(secs(now)*2) / 2, lastThrottle: now}
}

func secs(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (a *awsModel) Rate() float64  { return a.rate }
func (a *awsModel) Sent(time.Time) {}
func (a *awsModel) measure(now time.Time) {
	b := math.Floor(secs(now)*2) / 2
	a.count++
	if b > a.bucket {
		cur := float64(a.count) / (b - a.bucket)
		a.measured = cur*0.8 + a.measured*0.2
		a.count, a.bucket = 0, b
	}
}
func (a *awsModel) Throttled(now, _ time.Time) bool {
	a.measure(now)
	use := a.measured
	if a.enabled {
		use = math.Min(a.measured, a.rate)
	}
	a.lastMax = use
	a.k = math.Cbrt(a.lastMax * 0.3 / 0.4)
	a.lastThrottle = now
	a.enabled = true
	a.set(use * 0.7)
	return true
}
func (a *awsModel) Succeeded(now time.Time) {
	a.measure(now)
	if !a.enabled {
		return
	}
	a.k = math.Cbrt(a.lastMax * 0.3 / 0.4)
	t := now.Sub(a.lastThrottle).Seconds()
	a.set(0.4*math.Pow(t-a.k, 3) + a.lastMax)
}
func (a *awsModel) set(r float64) {
	r = math.Min(r, 2*a.measured)
	a.rate = math.Min(a.ceiling, math.Max(r, 0.5))
}

// A strategy is a process's pacing in the simulation: its rate, and how a
// waiting request gets its turn.
type strategy struct {
	name string
	new  func(now time.Time) pacer
	// follow: a waiting request goes once now ≥ last + 1/rate(now), the rate
	// as it is at each moment (Take); else its turn is reserved at the rate
	// of the moment it asked, as a token bucket's reservation is.
	follow bool
}

// strategies: a fixed rate, the AWS SDK's adaptive mode (modelled), this
// package's rate with the parameters it had before (Floor 0.2, Scale 0.002,
// turns reserved), and this package's rate with its turns (Take).
var strategies = []strategy{
	{"fixed", func(time.Time) pacer { return fixedRate(10) }, false},
	{"aws", func(now time.Time) pacer { return newAWSModel(10, now) }, false},
	{"before", func(time.Time) pacer {
		a := NewAdaptiveRate(10)
		a.Floor, a.Scale = MinRate, 0.002
		return a
	}, false},
	{"ours", func(time.Time) pacer { return NewAdaptiveRate(10) }, true},
}

// simResult is what a run of the simulation measured.
type simResult struct {
	accepted, throttled int
	wall, floor         float64 // seconds: until the last acceptance; accepted / limit
}

// ratio is the run's wall time against its floor.
func (r simResult) ratio() float64 { return r.wall / r.floor }

// simulate runs, in 1 ms steps, n processes started together, each moving
// batches batches (one request accepted each) with 4 in flight at once,
// each request paced by its process's strategy, against an account that
// admits limit requests in each fixed one-second window (the emulator's
// limit; a throttle uses none of it), whose windows start at a phase the
// seed draws. An answer comes rtt after its request; a throttled request
// is sent again after the client's throttle backoff (full jitter from 1 s,
// capped at 2 s, drawn from the seed). It measures what a user sees: the
// time until the last batch is accepted, the finishing tail included.
func simulate(n, batches int, limit float64, rtt time.Duration, s strategy, seed uint64) simResult {
	const inFlight = 4
	rng := rand.New(rand.NewPCG(seed, 17))
	start := time.Unix(1700000000, 0)
	phase := time.Duration(rng.Int64N(int64(time.Second)))
	type worker struct {
		left     int       // batches it still has to send
		waiting  bool      // for a turn
		ticket   uint64    // its place (follow)
		at       time.Time // its turn (reserved), or when it may ask again
		answerAt time.Time // zero: no request in flight
		sentAt   time.Time
		throttle bool
		tries    int // throttles of its current batch
	}
	type proc struct {
		p       pacer
		turns   *AdaptiveRate // its turns (follow)
		last    time.Time     // the last turn given (reserved)
		workers []*worker
	}
	procs := make([]*proc, n)
	for i := range procs {
		pr := &proc{p: s.new(start)}
		if a, ok := pr.p.(*AdaptiveRate); ok && s.follow {
			pr.turns = a
		}
		for w := range min(inFlight, batches) {
			// Batches dealt round-robin to the workers, as the run step does.
			pr.workers = append(pr.workers, &worker{left: batches/inFlight + btoi(w < batches%inFlight), at: start.Add(time.Duration(i) * 7 * time.Millisecond)})
		}
		procs[i] = pr
	}
	window, admitted := int64(-1), 0.0
	var res simResult
	var last time.Time
	done := 0
	total := n * batches
	for now := start; done < total && now.Before(start.Add(5*time.Minute)); now = now.Add(time.Millisecond) {
		if w := int64(now.Add(phase).Sub(start) / time.Second); w != window {
			window, admitted = w, 0
		}
		for _, pr := range procs {
			for _, w := range pr.workers {
				if !w.answerAt.IsZero() && !now.Before(w.answerAt) { // the answer
					w.answerAt = time.Time{}
					if w.throttle {
						pr.p.Throttled(now, w.sentAt)
						w.tries++
						w.at = now.Add(time.Duration(rng.Int64N(int64(min(2*time.Second, time.Second<<(w.tries-1))) + 1)))
					} else {
						pr.p.Succeeded(now)
						w.left--
						w.tries = 0
						w.at = now
						done++
						last = now
					}
				}
				if w.left == 0 || !w.answerAt.IsZero() || now.Before(w.at) {
					continue
				}
				if !w.waiting { // ask for a turn
					w.waiting = true
					if pr.turns != nil {
						w.ticket = pr.turns.Join()
					} else {
						t := now
						if !pr.last.IsZero() {
							t = maxTime(now, pr.last.Add(time.Duration(float64(time.Second)/pr.p.Rate())))
						}
						pr.last, w.at = t, t
						if now.Before(t) {
							continue
						}
					}
				}
				if pr.turns != nil && !took(pr.turns.Take(w.ticket, now)) {
					continue
				}
				w.waiting = false
				pr.p.Sent(now)
				w.sentAt, w.answerAt = now, now.Add(rtt)
				w.throttle = admitted >= limit
				if w.throttle {
					res.throttled++
				} else {
					admitted++
					res.accepted++
				}
			}
		}
	}
	res.wall = last.Sub(start).Seconds()
	res.floor = float64(res.accepted) / limit
	return res
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// runs simulates runs seeds of a shape and returns their ratios to the
// floor, sorted, and the share of requests throttled.
func runs(n, batches, count int, s strategy) (ratios []float64, throttled float64) {
	sent, thr := 0, 0
	for seed := range count {
		r := simulate(n, batches, 10, 50*time.Millisecond, s, uint64(seed))
		ratios = append(ratios, r.ratio())
		sent += r.accepted + r.throttled
		thr += r.throttled
	}
	slices.Sort(ratios)
	return ratios, float64(thr) / float64(sent)
}

// BenchmarkAdaptiveRate simulates what users see of a fleet: N SCF
// processes started together, each moving its own instances in batches of
// 100 (4 in flight), against one account's limit of 10
// ModifyInstancesProject a second, until the LAST batch is accepted (the
// finishing tail included, not a steady state): the median and the worst
// of 10 runs against the floor the limit sets (the batches at 10 a
// second), and the share of requests throttled, for a fixed rate, the AWS
// SDK's adaptive mode (modelled), this package's rate as it was before
// (Floor 0.2, Scale 0.002, a turn reserved at the rate it was asked at),
// and ours (Floor a tenth of the limit, Scale 0.04, its turns):
//
//	go test -run '^$' -bench AdaptiveRate ./cvm/ratelimit/
func BenchmarkAdaptiveRate(b *testing.B) {
	for _, shape := range []struct{ n, batches int }{{1, 6}, {3, 6}, {10, 6}, {20, 3}, {10, 30}} {
		for _, s := range strategies {
			b.Run(fmt.Sprintf("N=%d/batches=%d/%s", shape.n, shape.batches, s.name), func(b *testing.B) {
				var ratios []float64
				var throttled float64
				for b.Loop() {
					ratios, throttled = runs(shape.n, shape.batches, 10, s)
				}
				b.ReportMetric(ratios[len(ratios)/2], "×floor")
				b.ReportMetric(ratios[len(ratios)-1], "×floor-worst")
				b.ReportMetric(100*throttled, "throttled%")
			})
		}
	}
}

// The simulation's verdict, as a test: ten processes of six batches, and
// twenty of three, finish within 1.15 times the floor (median of 10 runs)
// and 1.35 times at worst, sooner than the rate as it was before.
func TestAFleetFinishesNearTheFloor(t *testing.T) {
	for _, shape := range []struct{ n, batches int }{{10, 6}, {20, 3}} {
		ours, thr := runs(shape.n, shape.batches, 10, strategies[3])
		before, _ := runs(shape.n, shape.batches, 10, strategies[2])
		t.Logf("N=%d×%d: ours %.2f (worst %.2f, %.0f%% throttled); before %.2f (worst %.2f)", shape.n, shape.batches, ours[5], ours[9], 100*thr, before[5], before[9])
		assert.LessOrEqual(t, ours[5], 1.15, "median")
		assert.LessOrEqual(t, ours[9], 1.35, "worst")
		assert.Less(t, ours[5], before[5])
	}
}
