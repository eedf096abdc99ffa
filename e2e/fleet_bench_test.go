package e2e

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkFleet measures N function processes started together against
// one emulator with the account's documented limits (10 ModifyInstancesProject
// and 40 DescribeInstances a second, fixed one-second windows, counted over
// every process): N = 1, 5, 10 processes moving 600 instances each (60 s
// deadline), and a burst of 50 EventBridge tag events of one instance each
// (10 s deadline, configured rules), each in its own process. It reports
// the wall time until the last answer against the floor the account's
// limit sets (the accepted ModifyInstancesProject calls at 10 a second),
// the requests the limit refused, the instances not moved and the
// invocations that returned a function error (for the burst, after one
// redelivery of those, what is still left). Correctness is asserted by
// TestTenProcessesShareTheAccountsLimit and TestABurstOfTagEventsLosesNothing.
//
//	go test -run '^$' -bench Fleet -benchtime 3x ./e2e/
func BenchmarkFleet(b *testing.B) {
	for _, n := range []int{1, 5, 10} {
		b.Run(fmt.Sprintf("processes=%d", n), func(b *testing.B) {
			var wall, floor time.Duration
			throttled, notMoved, errs := 0, 0, 0
			for b.Loop() {
				r := runFleetMoves(b, n, 600, 60*time.Second)
				wall += r.wall
				floor += r.floor
				throttled += r.throttled
				notMoved += len(r.notMoved)
				errs += r.errors
			}
			report(b, wall, floor)
			b.ReportMetric(float64(throttled)/float64(b.N), "throttled/op")
			b.ReportMetric(float64(notMoved)/float64(b.N), "not-moved/op")
			b.ReportMetric(float64(errs)/float64(b.N), "function-errors/op")
		})
	}
	b.Run("burst=50", func(b *testing.B) {
		var wall, floor time.Duration
		throttledMove, throttledList, errs, left, unreported := 0, 0, 0, 0, 0
		for b.Loop() {
			r := runBurst(b, 50, 10*time.Second)
			wall += r.wall
			floor += r.floor
			throttledMove += r.throttled["ModifyInstancesProject"]
			throttledList += r.throttled["DescribeInstances"]
			errs += r.errors
			left += len(r.leftAfter)
			unreported += len(r.unreported)
		}
		report(b, wall, floor)
		b.ReportMetric(float64(throttledMove)/float64(b.N), "throttled-moves/op")
		b.ReportMetric(float64(throttledList)/float64(b.N), "throttled-listings/op")
		b.ReportMetric(float64(errs)/float64(b.N), "function-errors/op")
		b.ReportMetric(float64(unreported)/float64(b.N), "unmoved-without-error/op")
		b.ReportMetric(float64(left)/float64(b.N), "left-after-redelivery/op")
	})
}

func report(b *testing.B, wall, floor time.Duration) {
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
	b.ReportMetric(floor.Seconds()/float64(b.N), "floor-s/op")
	if floor > 0 {
		b.ReportMetric(wall.Seconds()/floor.Seconds(), "×floor")
	}
}
