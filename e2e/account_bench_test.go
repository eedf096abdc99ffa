package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// BenchmarkAccount reconciles an account of 50,000 instances tagged
// env=prod, 5,000 in each of 10 regions, all in the wrong project, at the
// account's documented limits (the emulator's EnableRateLimits:
// ModifyInstancesProject 10/s, DescribeInstances 40/s) with 50 ms per
// answer, to 0 non-compliant instances: "one-invocation" is a timer's
// invocation of SCF's longest timeout, 900 s, which the estimate (about
// 77 s) lets run whole; "fan-out" gives the timer 30 s, so it hands the
// 10 regions to asynchronous invocations, which are then delivered as SCF
// would (at once, each to an instance of its own: a process each) until
// none is left. It reports the
// wall time, the calls of each action, the invocations and the
// throttles; it fails unless every instance ends in its project.
// "10000/one-invocation" is the same with 1,000 instances a region.
//
//	go test -run '^$' -bench Account -benchtime 1x ./e2e/
func BenchmarkAccount(b *testing.B) {
	for _, sc := range []struct {
		name      string
		perRegion int
		timeout   time.Duration
	}{
		{"one-invocation", 5000, 900 * time.Second},
		{"fan-out", 5000, 30 * time.Second},
		{"10000/one-invocation", 1000, 900 * time.Second}, // a floor of 10 s of moves, 2.5 s of listings
	} {
		b.Run(sc.name, func(b *testing.B) {
			const regions = 10
			perRegion := sc.perRegion
			c := newCloud(b)
			var all []string
			for r := range regions {
				region := fmt.Sprintf("ap-region%c", 'a'+r)
				prefix := fmt.Sprintf("r%c", 'a'+r)
				ins := emulator.TaggedInstances(prefix, 1, perRegion, 0, emulator.Tag{Key: "env", Value: "prod"})
				for _, in := range ins {
					all = append(all, in.ID)
				}
				c.AddInstances(emulator.InRegion(region, ins...)...)
			}
			c.AddFunction("", "cvm-project")
			c.SetLatency(50 * time.Millisecond)
			c.EnableRateLimits()
			fnEnv := []string{
				"CVM_ENDPOINT=" + c.base + "/v2/index.php", "TENCENTCLOUD_REGION=ap-regiona",
				"TAG_ENDPOINT=" + c.base + emulator.PathTag, "INVOKE_ENDPOINT=" + c.base + emulator.PathSCF,
				"SCF_FUNCTIONNAME=cvm-project", "SCF_NAMESPACE=default",
				projectRules, "RECONCILE_REGIONS=*", "MAX_INSTANCES=100000",
			}
			p, err := scfrpc.Start(b.Context(), binary, fnEnv)
			require.NoError(b, err)
			defer p.Stop()
			env := map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": secretKey}
			timer, err := os.ReadFile(filepath.Join("..", "events", "rules-timer-reconcile.json"))
			require.NoError(b, err)

			var wall time.Duration
			invocations := 0
			for b.Loop() {
				start := time.Now()
				raw, err := p.Invoke(timer, scfrpc.Invocation{Env: env, Timeout: sc.timeout})
				invocations++
				require.NoError(b, err)
				var a accountAnswer
				require.NoError(b, json.Unmarshal(raw, &a))
				require.Equal(b, "Success", a.Code, a.Message)
				require.Len(b, a.Regions, regions)
				for {
					invs := c.DrainInvocations()
					if len(invs) == 0 {
						break
					}
					// SCF delivers queued events at once, each to an
					// instance of its own: a process each.
					var wg sync.WaitGroup
					errs := make([]error, len(invs))
					for i, inv := range invs {
						q, err := scfrpc.Start(b.Context(), binary, fnEnv)
						require.NoError(b, err)
						defer q.Stop()
						wg.Go(func() {
							_, errs[i] = q.Invoke(inv.Event(), scfrpc.Invocation{Env: env, Timeout: 900 * time.Second})
						})
					}
					wg.Wait()
					for _, err := range errs {
						require.NoError(b, err, "a handed-over invocation")
					}
					invocations += len(invs)
				}
				wall += time.Since(start)
			}
			wrong := 0
			for _, id := range all {
				if in, _ := c.Instance(id); in.ProjectID != 1045 {
					wrong++
				}
			}
			require.Zero(b, wrong, "non-compliant instances left")
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
			b.ReportMetric(float64(invocations)/float64(b.N), "invocations/op")
			b.ReportMetric(float64(len(c.moves()))/float64(b.N), "moves/op")
			b.ReportMetric(float64(len(c.callsOf(emulator.ActionDescribe)))/float64(b.N), "describes/op")
			b.ReportMetric(float64(len(c.callsOf(emulator.ActionInvoke)))/float64(b.N), "invokes/op")
			b.ReportMetric(float64(len(c.Calls()))/float64(b.N), "calls/op")
			b.ReportMetric(float64(c.throttled())/float64(b.N), "throttled/op")
			b.ReportMetric(float64(wrong), "non-compliant")
		})
	}
}
