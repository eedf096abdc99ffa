package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// moveOnly turns verification off: these tests script faults, delays and
// limits on ModifyInstancesProject's own requests and count its attempts;
// with VERIFY the reads before and after each move would take the scripted
// faults and add to the counts. Verification under faults is tested in
// verify_test.go.
const moveOnly = "VERIFY=false"

// faultCase is one of the emulator's faults and what the function makes
// of it when it never goes away.
type faultCase struct {
	name       string
	fault      emulator.Fault
	wantCode   string // after MAX_RETRIES+1 attempts
	wantStatus int
	// throttle: a throttle, retried until the deadline rule stops it, not
	// MAX_RETRIES times.
	throttle bool
}

var retriedFaults = []faultCase{
	{"connection reset", emulator.Fault{Kind: emulator.FaultReset}, "InternalError.UpstreamUnreachable", 502, false},
	{"HTTP 500 with HTML", emulator.Fault{Kind: emulator.FaultHTTP500}, "InternalError.UpstreamBadResponse", 502, false},
	{"HTTP 502 with HTML", emulator.Fault{Kind: emulator.FaultHTTP502}, "InternalError.UpstreamBadResponse", 502, false},
	{"truncated JSON", emulator.Fault{Kind: emulator.FaultTruncatedJSON}, "InternalError.UpstreamBadResponse", 502, false},
	{"InternalServerError", emulator.Fault{Kind: emulator.FaultInternalServerError}, "InternalServerError", 502, false},
	{"RequestLimitExceeded", emulator.Fault{Kind: emulator.FaultRequestLimitExceeded}, "RequestLimitExceeded", 429, true},
	{"HTTP 429 with HTML", emulator.Fault{Kind: emulator.FaultHTTP429}, "InternalError.UpstreamBadResponse", 502, true},
	{"SignatureExpire", emulator.Fault{Kind: emulator.FaultSignatureExpire}, "AuthFailure.SignatureExpire", 502, false},
}

func repeat(f emulator.Fault, n int) []emulator.Fault {
	out := make([]emulator.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// invokeTimed invokes over API Gateway with a time limit and reports how
// long the answer took.
func (fn *function) invokeTimed(t *testing.T, c *cloud, request []byte, limit time.Duration) (answer, int, time.Duration) {
	t.Helper()
	start := time.Now()
	a, status := fn.invokeWith(t, apigwPayload(t, request), c, scfrpc.Invocation{Env: fn.env, Timeout: limit})
	took := time.Since(start)
	assert.Less(t, took, limit, "answered within the invocation's time limit")
	return a, status, took
}

// For every fault: one is retried away (the retry signed anew), a
// persistent one ends with the right code after exactly MAX_RETRIES+1
// attempts (a throttle: retried until the deadline rule stops it, whatever
// MAX_RETRIES says), and one that outlasts a short deadline is answered
// before it.
func TestEachFaultIsRetriedWithinTheDeadline(t *testing.T) {
	request := func(t *testing.T) []byte { return directPayload(t, []string{"ins-00000001", "ins-00000002"}, 1045) }
	for _, tt := range retriedFaults {
		t.Run(tt.name, func(t *testing.T) {
			t.Run("once: retried away", func(t *testing.T) {
				t.Parallel()
				timingSensitive(t)
				c := newCloud(t)
				c.Script(tt.fault)
				fn := startFunction(t, c, moveOnly)
				a, status, _ := fn.invokeTimed(t, c, request(t), 5*time.Second)
				require.Equal(t, "Success", a.Code, a.Message)
				assert.Equal(t, http.StatusOK, status)
				require.Len(t, a.Batches, 1)
				assert.Equal(t, 2, a.Batches[0].Attempts)

				calls := c.Calls()
				require.Len(t, calls, 2, "two requests reached the emulator")
				assert.Equal(t, tt.fault.Kind.String(), calls[0].Fault)
				assert.Empty(t, calls[1].Fault)
				assert.Equal(t, calls[1].RequestID, a.RequestId)
				assert.NotEqual(t, calls[0].Nonce, calls[1].Nonce, "the retry has its own nonce")
				sigs := c.signaturesSent()
				require.Len(t, sigs, 2)
				assert.NotEqual(t, sigs[0], sigs[1], "the retry is signed anew, not replayed")
				assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
			})
			t.Run("persistent: MAX_RETRIES+1 attempts, then its code", func(t *testing.T) {
				if tt.throttle {
					t.Skip("a throttle is retried until the deadline: see the next case")
				}
				t.Parallel()
				timingSensitive(t)
				c := newCloud(t)
				c.Script(repeat(tt.fault, 10)...)
				fn := startFunction(t, c, moveOnly)
				a, status, _ := fn.invokeTimed(t, c, request(t), 5*time.Second)
				assert.Equal(t, tt.wantCode, a.Code, a.Message)
				assert.Equal(t, tt.wantStatus, status)
				require.Len(t, a.Batches, 1)
				assert.Equal(t, 4, a.Batches[0].Attempts)
				assert.Len(t, c.Calls(), 4, "1 attempt + MAX_RETRIES=3 reached the emulator")
				assert.EqualValues(t, 0, c.project(t, "ins-00000001"), "nothing moved")
			})
			t.Run("persistent throttle: retried until the deadline, not MAX_RETRIES times", func(t *testing.T) {
				if !tt.throttle {
					t.Skip("not a throttle: MAX_RETRIES bounds it (previous case)")
				}
				t.Parallel()
				timingSensitive(t)
				c := newCloud(t)
				c.Script(repeat(tt.fault, 100)...)
				fn := startFunction(t, c, moveOnly, "MAX_RETRIES=0")
				a, status, _ := fn.invokeTimed(t, c, request(t), 3*time.Second)
				// The cause, not the clock: a client that backs off on 429 should.
				assert.Equal(t, "RequestLimitExceeded", a.Code, a.Message)
				assert.Equal(t, http.StatusTooManyRequests, status)
				require.Len(t, a.Batches, 1)
				assert.GreaterOrEqual(t, a.Batches[0].Attempts, 2, "MAX_RETRIES=0 does not bound throttles")
				assert.Len(t, c.Calls(), a.Batches[0].Attempts)
				assert.Contains(t, a.Batches[0].Message, "deadline left no time")
				assert.EqualValues(t, 0, c.project(t, "ins-00000001"), "nothing moved")
			})
			t.Run("outlasting a short deadline: answered before it", func(t *testing.T) {
				t.Parallel()
				timingSensitive(t)
				c := newCloud(t)
				c.Script(repeat(tt.fault, 100)...)
				fn := startFunction(t, c, moveOnly, "MAX_RETRIES=10")
				a, status, _ := fn.invokeTimed(t, c, request(t), 1500*time.Millisecond)
				wantCode, wantStatus := "InternalError.DeadlineExceeded", http.StatusGatewayTimeout
				if tt.throttle {
					wantCode, wantStatus = "RequestLimitExceeded", http.StatusTooManyRequests
				}
				assert.Equal(t, wantCode, a.Code, a.Message)
				assert.Equal(t, wantStatus, status)
				require.Len(t, a.Batches, 1)
				attempts := a.Batches[0].Attempts
				assert.GreaterOrEqual(t, attempts, 2, "retried while there was time")
				assert.Less(t, attempts, 11, "stopped by the deadline, not by MAX_RETRIES")
				assert.Len(t, c.Calls(), attempts, "each attempt reached the emulator once")
				if tt.throttle {
					assert.Contains(t, a.Message, "deadline left no time")
				} else {
					assert.Contains(t, a.Message, "0 of 1 batches done")
				}
			})
		})
	}
}

func TestADelayIsWaitedOutNotRetried(t *testing.T) {
	c := newCloud(t)
	c.Script(emulator.Fault{Delay: 300 * time.Millisecond})
	fn := startFunction(t, c, moveOnly)
	a, _, took := fn.invokeTimed(t, c, directPayload(t, []string{"ins-00000001"}, 1045), 5*time.Second)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.GreaterOrEqual(t, took, 300*time.Millisecond)
	assert.Equal(t, 1, a.Batches[0].Attempts)
	assert.Len(t, c.Calls(), 1)
}

func TestADelayPastTheDeadlineIsAnsweredBeforeIt(t *testing.T) {
	c := newCloud(t)
	c.Script(emulator.Fault{Delay: 10 * time.Second})
	fn := startFunction(t, c, moveOnly)
	a, status, _ := fn.invokeTimed(t, c, directPayload(t, []string{"ins-00000001"}, 1045), 1500*time.Millisecond)
	assert.Equal(t, "InternalError.DeadlineExceeded", a.Code)
	assert.Equal(t, http.StatusGatewayTimeout, status)
	assert.Equal(t, 1, a.Batches[0].Attempts, "no retry: no time was left")
	assert.Contains(t, a.Batches[0].Message, "may or may not have been applied")
	require.Eventually(t, func() bool { return len(c.Calls()) == 1 }, 2*time.Second, 10*time.Millisecond)
	assert.Equal(t, "abandoned", c.Calls()[0].Fault, "the function hung up")
}

// Refusals of the request itself are answered at once: one attempt.
func TestRefusalsAreNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ids      []string
		env      map[string]string
		wantCode string
	}{
		{"an unknown instance", []string{"ins-00000001", "ins-0000dead"}, nil, "InvalidInstanceId.NotFound"},
		{"an instance bound to a load balancer", []string{"ins-lb000001"}, nil, "InvalidInstance.NotSupported"},
		{"a wrong secret key", []string{"ins-00000001"},
			map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": "Gu5t9xGARNpq86cd98joQYCN3WRONGKEY"}, "AuthFailure.SignatureFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, moveOnly)
			if tt.env != nil {
				fn.env = tt.env
			}
			a, _ := fn.invoke(t, directPayload(t, tt.ids, 1045), c)
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Equal(t, 1, a.Batches[0].Attempts)
			assert.Len(t, c.Calls(), 1)
		})
	}
}

// The client's rate limit keeps the API's: at 10 a second with 4 batches
// in flight, the emulator's limit of 10 a second refuses nothing. (Its
// bucket holds 3: one request held up 200 ms by a busy machine, then the
// next on time, would empty a bucket of 2 through no fault of the client's.)
func TestTheRateLimitKeepsTheAPIsLimit(t *testing.T) {
	c := newCloud(t)
	c.seed(1000)
	c.SetRateLimit(10, 3)
	fn := startFunction(t, c, moveOnly, "RATE_LIMIT=10", "MAX_CONCURRENCY=4")
	start := time.Now()
	a, _ := fn.invoke(t, directPayload(t, ids(1, 1000), 1045), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "10 calls at 10 a second take 0.9 s at least")
	for _, b := range a.Batches {
		assert.Equal(t, 1, b.Attempts)
	}
	assert.Zero(t, c.throttled(), "no RequestLimitExceeded")
	assert.Len(t, c.Calls(), 10)
}

// Without a client-side limit the emulator's bites, and the function
// retries what it refused.
func TestTheAPIsLimitBitesAClientWithoutOne(t *testing.T) {
	c := newCloud(t)
	c.seed(1000)
	c.SetRateLimit(10, 3)
	fn := startFunction(t, c, moveOnly, "RATE_LIMIT=0", "MAX_CONCURRENCY=4", "MAX_RETRIES=10")
	a, _ := fn.invoke(t, directPayload(t, ids(1, 1000), 1045), c)
	assert.Positive(t, c.throttled(), "4 requests at once against a burst of 3")
	retried := 0
	for _, b := range a.Batches {
		if b.Attempts > 1 {
			retried++
		}
	}
	assert.Positive(t, retried, "the refused batches were retried")
	assert.Len(t, c.Calls(), c.throttled()+10-countFailed(a), "one success per batch, plus each refusal")
}

func countFailed(a answer) int {
	n := 0
	for _, b := range a.Batches {
		if b.Code != "Success" {
			n++
		}
	}
	return n
}

// The limiter belongs to the warm process, not to one invocation.
func TestTheRateLimitHoldsAcrossWarmInvocations(t *testing.T) {
	c := newCloud(t)
	c.SetRateLimit(10, 3)
	fn := startFunction(t, c, moveOnly, "RATE_LIMIT=10")
	start := time.Now()
	for i := 1; i <= 6; i++ {
		a, _ := fn.invoke(t, directPayload(t, ids(i, i), 1045), c)
		require.Equal(t, "Success", a.Code, a.Message)
	}
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "6 calls at 10 a second")
	assert.Zero(t, c.throttled())
}

// SkipInvalid with the IDs that the API's refusals name: one call per
// refusal beyond the batch's own.
func TestSkipInvalidMovesAllButTheNamedOffenders(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c, moveOnly)
	request := ids(1, 150)
	request[9], request[119] = "ins-0000dead", "ins-lb000001"
	body := directPayloadWith(t, map[string]any{"InstanceIds": request, "ProjectId": 1045, "SkipInvalid": true})
	a, status := fn.invoke(t, apigwPayload(t, body), c)

	assert.Equal(t, "PartialSuccess", a.Code, a.Message)
	assert.Equal(t, http.StatusMultiStatus, status)
	assert.Equal(t, "moved 148 of 150 instances; 2 failed (see Failed)", a.Message)
	require.Len(t, a.Failed, 2)
	assert.Equal(t, "ins-0000dead", a.Failed[0].InstanceId)
	assert.Equal(t, "InvalidInstanceId.NotFound", a.Failed[0].Code)
	assert.Contains(t, a.Failed[0].Message, "ins-0000dead")
	assert.Equal(t, "ins-lb000001", a.Failed[1].InstanceId)
	assert.Equal(t, "InvalidInstance.NotSupported", a.Failed[1].Code)
	assert.Equal(t, 2, a.IsolationCalls)
	assert.Len(t, c.Calls(), 4, "two batches, and one call for each batch's rest")
	for _, id := range request {
		if id != "ins-0000dead" && id != "ins-lb000001" {
			require.EqualValues(t, 1045, c.project(t, id), id)
		}
	}
	assert.EqualValues(t, 0, c.project(t, "ins-lb000001"))
	require.Len(t, a.Batches, 2)
	assert.Equal(t, "PartialSuccess", a.Batches[0].Code)
	assert.Equal(t, "PartialSuccess", a.Batches[1].Code)
}

// SkipInvalid against refusals that name no instance: halving.
func TestSkipInvalidHalvesWhenTheRefusalNamesNoOne(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		badAt     int // index in the batch of 100
		wantCalls int
	}{
		{"the last", 99, 7},  // [1-50] moves, then [51-75], [76-87], [88-93], [94-96], [97-98], [99]: the 100th is alone
		{"the first", 0, 12}, // [1-50] fails, [1-25], [1-12], [1-6], [1-3], [1] fail; then [2-3], [4-6], … [51-100] move
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			c.SetTerseMessages(true)
			fn := startFunction(t, c, moveOnly, "SKIP_INVALID=true")
			request := ids(1, 100)
			request[tt.badAt] = "ins-0000dead"
			a, _ := fn.invoke(t, directPayload(t, request, 1045), c)

			assert.Equal(t, "PartialSuccess", a.Code, a.Message)
			require.Len(t, a.Failed, 1)
			assert.Equal(t, "ins-0000dead", a.Failed[0].InstanceId)
			assert.Equal(t, "InvalidInstanceId.NotFound", a.Failed[0].Code)
			assert.Equal(t, tt.wantCalls, a.IsolationCalls)
			assert.Len(t, c.Calls(), tt.wantCalls+1)
			for _, id := range request {
				if id != "ins-0000dead" {
					require.EqualValues(t, 1045, c.project(t, id), id)
				}
			}
		})
	}
}

func TestTheRequestsSkipInvalidWinsOverSkipInvalidEnv(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c, moveOnly, "SKIP_INVALID=true")
	body := directPayloadWith(t, map[string]any{"InstanceIds": []string{"ins-00000001", "ins-0000dead"}, "ProjectId": 1045, "SkipInvalid": false})
	a, _ := fn.invoke(t, body, c)
	assert.Equal(t, "InvalidInstanceId.NotFound", a.Code)
	assert.Empty(t, a.Failed)
	assert.Zero(t, a.IsolationCalls)
	assert.Len(t, c.Calls(), 1)
	assert.EqualValues(t, 0, c.project(t, "ins-00000001"), "all or nothing")
}

// Another error during isolation: the instances not yet settled fail with
// it, and nothing is lost track of.
func TestAnErrorDuringIsolationFailsWhatIsUnsettled(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.Script(append([]emulator.Fault{{}}, repeat(emulator.Fault{Kind: emulator.FaultInternalServerError}, 4)...)...)
	fn := startFunction(t, c, moveOnly)
	request := ids(1, 100)
	request[9] = "ins-0000dead"
	body := directPayloadWith(t, map[string]any{"InstanceIds": request, "ProjectId": 1045, "SkipInvalid": true})
	a, status := fn.invoke(t, apigwPayload(t, body), c)

	assert.Equal(t, "InternalServerError", a.Code, "none moved; a failure a retry can fix wins the top code")
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Equal(t, 1, a.IsolationCalls)
	assert.Len(t, c.Calls(), 5, "the batch, then the rest: 4 attempts")
	require.Len(t, a.Failed, 100, "every instance is accounted for")
	for i, f := range a.Failed {
		assert.Equal(t, request[i], f.InstanceId)
		if i == 9 {
			assert.Equal(t, "InvalidInstanceId.NotFound", f.Code)
		} else {
			assert.Equal(t, "InternalServerError", f.Code)
		}
	}
}

func directPayloadWith(t *testing.T, request map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(request)
	require.NoError(t, err)
	return b
}

// seed adds instances ins-00000201.. up to n, beyond the 200 of newCloud.
func (c *cloud) seed(n int) {
	for i := 201; i <= n; i++ {
		c.AddInstances(emulator.Instance{ID: fmt.Sprintf("ins-%08d", i)})
	}
}

// throttled counts the requests the emulator's rate limit refused.
func (c *cloud) throttled() int {
	n := 0
	for _, call := range c.Calls() {
		if call.Code == emulator.CodeRequestLimitExceeded && call.Fault == "" {
			n++
		}
	}
	return n
}

// signaturesSent returns the signatures received, in arrival order.
func (c *cloud) signaturesSent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.signatures)
}

// A throttle that lasts until the deadline: the answer's code is the cause
// (429 RequestLimitExceeded, the message says the deadline ran out), and
// the read before the move, which only makes the answer more precise,
// takes at most a third of the time: the move gets the rest.
func TestAThrottleToTheDeadlineIsAnsweredAsAThrottle(t *testing.T) {
	t.Parallel() // its margins are seconds, not the milliseconds a busy machine adds
	c := newCloud(t)
	c.Script(repeat(emulator.Fault{Kind: emulator.FaultRequestLimitExceeded}, 200)...)
	fn := startFunction(t, c)
	a, status, _ := fn.invokeTimed(t, c, directPayload(t, ids(1, 1), 1045), 6*time.Second)
	assert.Equal(t, "RequestLimitExceeded", a.Code, a.Message)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Contains(t, a.Message, "deadline")
	assert.Contains(t, a.NotVerified, "sent unverified", "the read gave up its share, the move went on")
	var reads, moves int
	for _, call := range c.Calls() {
		switch call.Action {
		case emulator.ActionDescribe:
			reads++
		case emulator.Action:
			moves++
		}
	}
	assert.GreaterOrEqual(t, moves, 3, "the move got most of the time: %d reads, %d moves", reads, moves)
}
