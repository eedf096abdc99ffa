package ratelimit

import (
	"fmt"
	"math"
	"testing"
	"time"
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

// simResult is what a run of the simulation measured.
type simResult struct {
	accepted, throttled int
	throttledEarly      int // in the first 10 s
	throttledLate       int // in the last 30 s
	seconds             float64
}

// simulate runs n backlogged processes, each paced by its own pacer at
// burst 1, against an account limit of limit a second (a token bucket of
// burst 3, like the emulator's), with answers rtt after each request,
// for d of simulated time in 1 ms steps. Deterministic: each process
// starts at its own offset.
func simulate(n int, limit float64, rtt, d time.Duration, newPacer func(now time.Time) pacer) simResult {
	start := time.Unix(1700000000, 0)
	type pending struct {
		at, sent  time.Time
		throttled bool
	}
	type proc struct {
		p     pacer
		next  time.Time
		queue []pending
	}
	procs := make([]*proc, n)
	for i := range procs {
		procs[i] = &proc{p: newPacer(start), next: start.Add(time.Duration(i) * 7 * time.Millisecond)}
	}
	tokens, burst := 3.0, 3.0
	var res simResult
	step := time.Millisecond
	for now := start; now.Before(start.Add(d)); now = now.Add(step) {
		tokens = math.Min(burst, tokens+limit*step.Seconds())
		for _, pr := range procs {
			for len(pr.queue) > 0 && !pr.queue[0].at.After(now) {
				q := pr.queue[0]
				pr.queue = pr.queue[1:]
				if q.throttled {
					pr.p.Throttled(now, q.sent)
				} else {
					pr.p.Succeeded(now)
				}
			}
			if now.Before(pr.next) {
				continue
			}
			pr.p.Sent(now)
			ok := tokens >= 1
			if ok {
				tokens--
				res.accepted++
			} else {
				res.throttled++
				el := now.Sub(start)
				if el < 10*time.Second {
					res.throttledEarly++
				}
				if el >= d-30*time.Second {
					res.throttledLate++
				}
			}
			pr.queue = append(pr.queue, pending{at: now.Add(rtt), sent: now, throttled: !ok})
			pr.next = now.Add(time.Duration(float64(time.Second) / pr.p.Rate()))
		}
	}
	res.seconds = d.Seconds()
	return res
}

// BenchmarkAdaptiveRate simulates N SCF processes (each backlogged, each
// with its own client-side rate starting at 10 a second) against one
// account's limit of 10 a second, for 60 s, and reports the goodput
// (requests accepted a second; 10 at most) and the share of requests
// throttled: today's fixed rate, the AWS SDK's adaptive mode (modelled),
// and ours.
func BenchmarkAdaptiveRate(b *testing.B) {
	strategies := []struct {
		name string
		new  func(now time.Time) pacer
	}{
		{"fixed", func(time.Time) pacer { return fixedRate(10) }},
		{"aws", func(now time.Time) pacer { return newAWSModel(10, now) }},
		{"ours", func(time.Time) pacer { return NewAdaptiveRate(10) }},
	}
	for _, n := range []int{1, 3, 10} {
		for _, s := range strategies {
			b.Run(fmt.Sprintf("N=%d/%s", n, s.name), func(b *testing.B) {
				var r simResult
				for b.Loop() {
					r = simulate(n, 10, 50*time.Millisecond, 60*time.Second, s.new)
				}
				sent := r.accepted + r.throttled
				b.ReportMetric(float64(r.accepted)/r.seconds, "goodput/s")
				b.ReportMetric(100*float64(r.throttled)/float64(sent), "throttled%")
				b.ReportMetric(float64(r.throttledEarly), "throttles-first10s")
				b.ReportMetric(float64(r.throttledLate)/30, "throttles/s-last30s")
			})
		}
	}
}

// The simulation's verdict, as a test: with 10 processes, ours keeps the
// goodput near the limit while throttling a small share of requests,
// fewer than the fixed rate and the AWS model, with more accepted.
func TestAdaptiveRateConvergesWithTenProcesses(t *testing.T) {
	run := func(newPacer func(now time.Time) pacer) (goodput, throttled float64) {
		r := simulate(10, 10, 50*time.Millisecond, 60*time.Second, newPacer)
		return float64(r.accepted) / r.seconds, float64(r.throttled) / float64(r.accepted+r.throttled)
	}
	fixedGood, fixedThr := run(func(time.Time) pacer { return fixedRate(10) })
	awsGood, awsThr := run(func(now time.Time) pacer { return newAWSModel(10, now) })
	ourGood, ourThr := run(func(time.Time) pacer { return NewAdaptiveRate(10) })
	t.Logf("fixed: goodput %.2f/s, %.1f%% throttled; aws: %.2f/s, %.1f%%; ours: %.2f/s, %.1f%%", fixedGood, 100*fixedThr, awsGood, 100*awsThr, ourGood, 100*ourThr)
	if ourThr >= fixedThr/3 || ourThr >= awsThr {
		t.Errorf("ours throttles %.1f%% of requests, the fixed rate %.1f%%, AWS %.1f%%", 100*ourThr, 100*fixedThr, 100*awsThr)
	}
	if ourGood < awsGood || ourGood < 0.9*10 {
		t.Errorf("ours keeps %.2f a second of a limit of 10, AWS %.2f", ourGood, awsGood)
	}
}
