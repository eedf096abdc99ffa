package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkFleet measures N function processes started together against
// one emulator with the account's documented limits (10 ModifyInstancesProject
// and 40 DescribeInstances a second, fixed one-second windows, counted over
// every process), as a user sees them: the wall time from the invocations
// to the LAST answer, the finishing tail included, against the floor the
// account's limit sets (the accepted ModifyInstancesProject calls at 10 a
// second). Shapes: 1, 5 and 10 processes of 600 instances, and 20 of 300
// (60 s deadline), each with VERIFY=true (the default: read before, confirm
// after) and VERIFY=false; and a burst of 50 EventBridge tag events of one
// instance each (10 s deadline, configured rules), each in its own process.
// Each run is one op: ×floor is the median run's ratio, ×floor-worst the
// worst run's, so -benchtime 10x gives the median and worst of 10 runs.
// It also reports the requests the limit refused, the instances not moved
// and the invocations that returned a function error (for the burst, after
// one redelivery of those, what is still left). Correctness is asserted by
// TestTenProcessesShareTheAccountsLimit and TestABurstOfTagEventsLosesNothing.
//
//	go test -run '^$' -bench 'Fleet/processes=(10|20)' -benchtime 10x -timeout 60m ./e2e/
func BenchmarkFleet(b *testing.B) {
	for _, shape := range []struct{ n, per int }{{1, 600}, {5, 600}, {10, 600}, {20, 300}} {
		for _, verify := range []bool{true, false} {
			b.Run(fmt.Sprintf("processes=%d/instances=%d/verify=%t", shape.n, shape.per, verify), func(b *testing.B) {
				var ratios []float64
				var wall, floor time.Duration
				throttled, notMoved, errs := 0, 0, 0
				for b.Loop() {
					r := runFleetMoves(b, shape.n, shape.per, 60*time.Second, fmt.Sprintf("VERIFY=%t", verify))
					wall += r.wall
					floor += r.floor
					ratios = append(ratios, r.wall.Seconds()/r.floor.Seconds())
					throttled += r.throttled
					notMoved += len(r.notMoved)
					errs += r.errors
				}
				b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
				b.ReportMetric(floor.Seconds()/float64(b.N), "floor-s/op")
				slices.Sort(ratios)
				b.ReportMetric(ratios[len(ratios)/2], "×floor")
				b.ReportMetric(ratios[len(ratios)-1], "×floor-worst")
				b.Logf("runs' ×floor, sorted: %.2f", ratios)
				b.ReportMetric(float64(throttled)/float64(b.N), "throttled/op")
				b.ReportMetric(float64(notMoved)/float64(b.N), "not-moved/op")
				b.ReportMetric(float64(errs)/float64(b.N), "function-errors/op")
			})
		}
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
