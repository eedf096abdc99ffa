package handler

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/handler/run"
	"scf-cvm-project/signer"
)

// apiStub answers in-process like the API: NotFound, naming it, for a
// request that holds ins-0000dead; success otherwise.
type apiStub struct{}

func (apiStub) Do(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	answer := `{"Response":{"RequestId":"6EF60BEC-0242-43AF-BB20-270359FB54A7"}}`
	if bytes.Contains(body, []byte("ins-0000dead")) {
		answer = `{"Response":{"Error":{"Code":"InvalidInstanceId.NotFound","Message":"The instance ID [\"ins-0000dead\"] does not exist."},"RequestId":"6EF60BEC-0242-43AF-BB20-270359FB54A8"}}`
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(answer))}, nil
}

// heapAndGoroutines returns the live heap after two collections, and the
// number of goroutines.
func heapAndGoroutines() (uint64, int) {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, runtime.NumGoroutine()
}

// A warm process serves invocation after invocation with one Handler and
// one client: 10,000 of them (concurrent batches, isolation, refusals,
// deadlines) must leave the live heap and the goroutines where they were.
func TestTenThousandWarmInvocationsLeaveHeapAndGoroutinesFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 invocations")
	}
	client, err := cvm.New(cvm.LegacyEndpoint, signer.HmacSHA256, apiStub{})
	require.NoError(t, err)
	client.Rates = &ratelimit.ActionRates{Ceilings: map[string]float64{"ModifyInstancesProject": 1e9}} // waited on, never waits
	h := &Handler{Runner: run.Runner{Logger: discard, CVM: client, MaxConcurrency: 4}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou", AnswerMargin: time.Millisecond}
	with := func(ids []string, extra string) []byte {
		return []byte(`{"InstanceIds":["` + strings.Join(ids, `","`) + `"],"ProjectId":1045` + extra + `}`)
	}
	isolating := ids(1, 150)
	isolating[7] = "ins-0000dead"
	payloads := [][]byte{
		with(ids(1, 1), ""),
		with(ids(1, 250), ""),                           // three batches in parallel
		with(isolating, `,"SkipInvalid":true`),          // an isolation
		with(isolating, ""),                             // a refusal
		[]byte(`{"InstanceIds":["bad"],"ProjectId":1}`), // rejected, no call
	}
	invoke := func(i int) {
		ctx := context.Background()
		if i%50 == 0 { // now and then, a deadline too short for any call
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
		}
		out, err := h.Invoke(ctx, payloads[i%len(payloads)])
		if err != nil || len(out) == 0 {
			t.Fatalf("invocation %d: %v", i, err)
		}
	}

	for i := range 1000 { // warm up: pools, the client's state, the runtime's caches
		invoke(i)
	}
	heapBefore, goroutinesBefore := heapAndGoroutines()
	for i := range 10_000 {
		invoke(i)
	}
	heapAfter, goroutinesAfter := heapAndGoroutines()

	growth := int64(heapAfter) - int64(heapBefore)
	t.Logf("live heap %d → %d bytes (%+d), goroutines %d → %d", heapBefore, heapAfter, growth, goroutinesBefore, goroutinesAfter)
	assert.Less(t, growth, int64(64<<10), "the live heap grows by less than 64 KiB over 10,000 invocations (%d bytes each would be a leak)", growth/10_000)
	assert.LessOrEqual(t, goroutinesAfter, goroutinesBefore, "no goroutine outlives its invocation")
}
