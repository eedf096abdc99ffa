package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// BenchmarkRunStep measures the run step against the floor the account's
// limits allow, with operations of 1 s on the emulator's clock and 50 ms
// per answer: 10,000 instances (100 batches) verified, verified with
// KEEP_SECURITY_GROUPS and every group detached by the moves, one verified
// batch of 100, and 10,000 with VERIFY=false. The floor of n batches is
// the moves at ModifyInstancesProject's 10/s (the first at once, the last
// at (n-1)/10 s) plus, verified, the last batch's operation and its
// reads: 10.9 s + 1 s for 10,000; for one batch, one read, one move, the
// operation and one read (1 s + 3 × 50 ms). x-floor is the ratio.
//
//	go test -run '^$' -bench RunStep -benchtime 3x ./e2e/
func BenchmarkRunStep(b *testing.B) {
	for _, sc := range []struct {
		name      string
		n         int
		env       []string
		keepSGs   bool
		floor     float64 // seconds
		opSeconds float64
	}{
		{"10000/verified", 10_000, nil, false, 9.9 + 1 + 0.1, 1},
		{"10000/keep-security-groups", 10_000, []string{"KEEP_SECURITY_GROUPS=true"}, true, 9.9 + 1 + 0.1, 1},
		{"100/verified", 100, nil, false, 1 + 3*0.05, 1},
		{"10000/VERIFY=false", 10_000, []string{"VERIFY=false"}, false, 9.9 + 0.05, 1},
	} {
		b.Run(sc.name, func(b *testing.B) {
			c := newCloud(b)
			c.seed(sc.n)
			if sc.keepSGs {
				for i := 1; i <= sc.n; i++ {
					c.SetSecurityGroups(fmt.Sprintf("ins-%08d", i), "sg-0000web1", "sg-0000ssh1")
				}
				c.SetDetachSecurityGroupsOnMove(true)
			}
			c.SetLatency(50 * time.Millisecond)
			c.SetOperationDuration(time.Duration(sc.opSeconds * float64(time.Second)))
			c.EnableRateLimits()
			p, err := scfrpc.Start(context.Background(), binary, append([]string{
				"CVM_ENDPOINT=" + c.base + "/v2/index.php", "TENCENTCLOUD_REGION=ap-guangzhou",
				"TAG_ENDPOINT=" + c.base + emulator.PathTag, // loopback only
			}, sc.env...))
			require.NoError(b, err)
			defer p.Stop()
			env := map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": secretKey}
			var wall time.Duration
			n := 0
			for b.Loop() {
				payload, err := json.Marshal(map[string]any{"InstanceIds": ids(1, sc.n), "ProjectId": 1045 + n%2})
				require.NoError(b, err)
				n++
				start := time.Now()
				raw, err := p.Invoke(payload, scfrpc.Invocation{Env: env, Timeout: 120 * time.Second})
				wall += time.Since(start)
				require.NoError(b, err)
				var a answer
				require.NoError(b, json.Unmarshal(raw, &a))
				require.Equal(b, "Success", a.Code, a.Message)
				if sc.keepSGs {
					restored := 0
					for _, g := range a.SecurityGroups {
						if g.Restored {
							restored++
						}
					}
					require.Equal(b, sc.n, restored, "every instance's groups restored: %d groups reported, first %+v", len(a.SecurityGroups), a.SecurityGroups[:min(2, len(a.SecurityGroups))])
				}
			}
			perOp := wall.Seconds() / float64(b.N)
			b.ReportMetric(perOp, "wall-s/op")
			b.ReportMetric(perOp/sc.floor, "x-floor")
			b.ReportMetric(float64(c.throttled())/float64(b.N), "throttled/op")
			b.ReportMetric(float64(len(c.callsOf(emulator.ActionDescribe)))/float64(b.N), "describes/op")
		})
	}
}
