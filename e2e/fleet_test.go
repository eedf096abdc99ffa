package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// A fleet is several function processes, as SCF runs one per concurrent
// invocation, started together against ONE emulator that enforces the
// account's documented limits (emulator.EnableRateLimits: per action, in
// fixed one-second windows, over every key and every process).

// fleetStart starts n processes of the built function against c, each
// configured as the tests configure one (extra env added), and stops them
// when tb ends.
func fleetStart(tb testing.TB, c *cloud, n int, env ...string) []*scfrpc.Process {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := append([]string{"CVM_ENDPOINT=" + c.base + "/v2/index.php", "TENCENTCLOUD_REGION=ap-guangzhou"}, env...)
	procs := make([]*scfrpc.Process, n)
	for i := range procs {
		p, err := scfrpc.Start(ctx, binary, base)
		require.NoError(tb, err)
		procs[i] = p
	}
	tb.Cleanup(func() {
		for _, p := range procs {
			p.Stop()
		}
	})
	return procs
}

var fleetKeys = map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": secretKey}

// fleetOutcome is what one invocation of a fleet returned.
type fleetOutcome struct {
	answer answer
	err    *scfrpc.FunctionError // a function error: SCF would retry
	other  error                 // the runtime protocol failed
}

// invokeAll invokes each process once with its payload, all at once, and
// returns the outcomes in order and the wall time until the last answer.
func invokeAll(procs []*scfrpc.Process, payloads [][]byte, timeout time.Duration) ([]fleetOutcome, time.Duration) {
	out := make([]fleetOutcome, len(procs))
	var wg sync.WaitGroup
	start := time.Now()
	for i, p := range procs {
		wg.Go(func() {
			out[i] = invokeOnce(p, payloads[i], timeout)
		})
	}
	wg.Wait()
	return out, time.Since(start)
}

func invokeOnce(p *scfrpc.Process, payload []byte, timeout time.Duration) fleetOutcome {
	raw, err := p.Invoke(payload, scfrpc.Invocation{Env: fleetKeys, Timeout: timeout})
	var o fleetOutcome
	var ferr *scfrpc.FunctionError
	switch {
	case errors.As(err, &ferr):
		o.err = ferr
	case err != nil:
		o.other = err
	default:
		o.other = json.Unmarshal(raw, &o.answer)
	}
	return o
}

// fleetMoveResult is what a fleet of moves did.
type fleetMoveResult struct {
	outcomes  []fleetOutcome
	wall      time.Duration
	floor     time.Duration // accepted ModifyInstancesProject calls at 10 a second
	throttled int           // ModifyInstancesProject requests the account's limit refused
	notMoved  []string
	errors    int // function errors
}

// runFleetMoves starts n processes, each moving perProcess instances of
// its own into project 1045 with a deadline of timeout, all at once (env:
// more settings of the processes, such as VERIFY=false).
func runFleetMoves(tb testing.TB, n, perProcess int, timeout time.Duration, env ...string) fleetMoveResult {
	tb.Helper()
	c := newCloud(tb)
	c.seed(n * perProcess)
	c.EnableRateLimits()
	procs := fleetStart(tb, c, n, env...)
	payloads := make([][]byte, n)
	for i := range payloads {
		b, err := json.Marshal(map[string]any{"InstanceIds": ids(i*perProcess+1, (i+1)*perProcess), "ProjectId": 1045})
		require.NoError(tb, err)
		payloads[i] = b
	}
	var r fleetMoveResult
	r.outcomes, r.wall = invokeAll(procs, payloads, timeout)
	accepted := 0
	for _, call := range c.Calls() {
		if call.Action == emulator.Action && call.Code == "" {
			accepted++
		}
	}
	r.floor = time.Duration(accepted) * time.Second / 10
	r.throttled = c.Throttled()[emulator.Action]
	for _, id := range ids(1, n*perProcess) {
		if in, _ := c.Instance(id); in.ProjectID != 1045 {
			r.notMoved = append(r.notMoved, id)
		}
	}
	for _, o := range r.outcomes {
		if o.err != nil {
			r.errors++
		}
	}
	return r
}

// burstResult is what a burst of tag events did, and their redelivery.
type burstResult struct {
	first, second []fleetOutcome // the burst; the redelivery of those that failed (nil entries skipped)
	wall          time.Duration  // of the burst
	floor         time.Duration
	throttled     map[string]int
	errors        int      // function errors of the burst
	unreported    []string // instances an invocation that reported no error left unmoved
	leftAfter     []string // instances unmoved after the redelivery
}

// runBurst sends n EventBridge tag events, one instance each, to n
// processes at once (deadline timeout, configured rules), then delivers
// once more, as SCF retries, each that returned a function error.
func runBurst(tb testing.TB, n int, timeout time.Duration) burstResult {
	tb.Helper()
	c := newCloud(tb)
	instances := emulator.TaggedInstances("b", 1, n, 0, emulator.Tag{Key: "env", Value: "prod"})
	c.AddInstances(instances...)
	c.EnableRateLimits()
	procs := fleetStart(tb, c, n, projectRules)
	payloads := make([][]byte, n)
	for i, in := range instances {
		b, err := json.Marshal(map[string]any{"specversion": "1.0", "id": fmt.Sprint("evt-", i), "type": "tag:CloudEvent:ApiCall",
			"source": "tag.cloud.tencent", "region": "ap-guangzhou", "subject": "qcs::cvm:ap-guangzhou:uin/100000000001:instance/" + in.ID,
			"data": map[string]any{"Resource": "qcs::cvm:ap-guangzhou:uin/100000000001:instance/" + in.ID, "AddTags": []map[string]string{{"TagKey": "env", "TagValue": "prod"}}}})
		require.NoError(tb, err)
		payloads[i] = b
	}
	var r burstResult
	r.first, r.wall = invokeAll(procs, payloads, timeout)
	accepted := 0
	for _, call := range c.Calls() {
		if call.Action == emulator.Action && call.Code == "" {
			accepted++
		}
	}
	r.floor = time.Duration(accepted) * time.Second / 10
	r.throttled = c.Throttled()
	r.second = make([]fleetOutcome, n)
	var wg sync.WaitGroup
	for i, o := range r.first {
		in, _ := c.Instance(instances[i].ID)
		if o.err == nil && in.ProjectID != 1045 {
			r.unreported = append(r.unreported, in.ID)
		}
		if o.err != nil {
			r.errors++
			wg.Go(func() { r.second[i] = invokeOnce(procs[i], payloads[i], timeout) })
		}
	}
	wg.Wait()
	for _, in := range instances {
		if got, _ := c.Instance(in.ID); got.ProjectID != 1045 {
			r.leftAfter = append(r.leftAfter, in.ID)
		}
	}
	return r
}

// Ten processes moving 600 instances each at once, against an account that
// allows 10 moves a second: every invocation answers Success and every
// instance moves, well within the 60 s deadline.
func TestTenProcessesShareTheAccountsLimit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("about 10 s")
	}
	r := runFleetMoves(t, 10, 600, 60*time.Second)
	for i, o := range r.outcomes {
		require.NoError(t, o.other, "process %d", i)
		require.Nil(t, o.err, "process %d: a function error: %v", i, o.err)
		assert.Equal(t, "Success", o.answer.Code, "process %d: %s", i, o.answer.Message)
	}
	assert.Empty(t, r.notMoved, "every instance moved")
	t.Logf("10 × 600: %.2f s, floor %.1f s (%.2f×), %d throttled", r.wall.Seconds(), r.floor.Seconds(), r.wall.Seconds()/r.floor.Seconds(), r.throttled)
}

// 50 tag events at once, one instance each, 10 s deadline: each either
// moved its instance or returned a function error; delivered once more,
// the errored ones finish. No instance is left unmoved by an invocation
// that reported no error.
func TestABurstOfTagEventsLosesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("about 10 s")
	}
	r := runBurst(t, 50, 10*time.Second)
	for i, o := range r.first {
		require.NoError(t, o.other, "event %d", i)
		if o.err != nil {
			assert.Equal(t, "UnfinishedError", o.err.Type)
			assert.NotContains(t, o.err.Message, "127.0.0.1")
		} else {
			assert.Equal(t, "Success", o.answer.Code, "event %d: %s", i, o.answer.Message)
		}
	}
	assert.Empty(t, r.unreported, "no instance left unmoved by an invocation that reported no error")
	for i, o := range r.second {
		if r.first[i].err == nil {
			continue
		}
		require.NoError(t, o.other, "redelivery %d", i)
		assert.Nil(t, o.err, "redelivery %d finishes", i)
		assert.Equal(t, "Success", o.answer.Code, "redelivery %d: %s", i, o.answer.Message)
	}
	assert.Empty(t, r.leftAfter, "every instance moved after one redelivery")
	t.Logf("burst of 50: %.2f s, floor %.1f s, throttled %v, %d function errors", r.wall.Seconds(), r.floor.Seconds(), r.throttled, r.errors)
}
