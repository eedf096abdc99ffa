package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// BenchmarkGroupsSurviveRedelivery: ten processes of 400 instances each
// (one account, its documented limits), KEEP_SECURITY_GROUPS=true, every
// group detached by the moves, operations of 6 s that outlast the 5 s
// deadline, and every function error delivered again as SCF does (a
// direct invocation with Async, at most 8 times). It reports the
// deliveries made, the instances that ended outside their project or
// without their groups (lost), and the records left behind, which must
// all be 0.
//
//	go test -run '^$' -bench GroupsSurviveRedelivery -benchtime 1x ./e2e/
func BenchmarkGroupsSurviveRedelivery(b *testing.B) {
	const processes, each = 10, 400
	for b.Loop() {
		c := newCloud(b)
		c.seed(processes * each)
		c.SetDetachSecurityGroupsOnMove(true)
		groups := [][]string{{"sg-aaaaaaaa", "sg-bbbbbbbb"}, {"sg-cccccccc"}, {"sg-dddddddd", "sg-eeeeeeee", "sg-ffffffff"}}
		for i := 1; i <= processes*each; i++ {
			require.True(b, c.SetSecurityGroups(fmt.Sprintf("ins-%08d", i), groups[i%3]...))
		}
		c.SetOperationDuration(6 * time.Second)
		c.EnableRateLimits()
		var wg sync.WaitGroup
		deliveries := make([]int, processes)
		for p := range processes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn, err := scfrpc.Start(context.Background(), binary, []string{
					"CVM_ENDPOINT=" + c.base + "/v2/index.php", "TENCENTCLOUD_REGION=ap-guangzhou",
					"TAG_ENDPOINT=" + c.base + emulator.PathTag, "KEEP_SECURITY_GROUPS=true",
				})
				if err != nil {
					b.Error(err)
					return
				}
				defer fn.Stop()
				payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(p*each+1, (p+1)*each), "ProjectId": 1045, "Async": true})
				env := map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": secretKey}
				for range 8 {
					deliveries[p]++
					_, err := fn.Invoke(payload, scfrpc.Invocation{Env: env, Timeout: 5 * time.Second})
					var ferr *scfrpc.FunctionError
					if !errors.As(err, &ferr) {
						return // answered: the work is done
					}
					time.Sleep(time.Second) // SCF's retry comes later
				}
			}()
		}
		wg.Wait()
		lost, left := 0, 0
		for i := 1; i <= processes*each; i++ {
			in, _ := c.Instance(fmt.Sprintf("ins-%08d", i))
			if in.ProjectID != 1045 || !slices.Equal(in.SecurityGroupIDs, groups[i%3]) {
				lost++
			}
			if hasRecord(in) {
				left++
			}
		}
		total := 0
		for _, d := range deliveries {
			total += d
		}
		b.ReportMetric(float64(total), "deliveries/op")
		b.ReportMetric(float64(lost), "lost/op")
		b.ReportMetric(float64(left), "records-left/op")
	}
}
