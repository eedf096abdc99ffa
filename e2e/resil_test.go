package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// One 5 s answer at a 3 s deadline (SCF's default timeout) must not make
// the next invocations of the warm process refuse to try: each sends its
// call and moves its instance. The slow answer is the read before the
// move, which may take only a third of the time: the move is sent
// unverified, and says so.
func TestOneSlowAnswerDoesNotFreezeTheWarmProcess(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.Script(emulator.Fault{Delay: 5 * time.Second})
	fn := startFunction(t, c)
	a, _ := fn.invokeWith(t, directPayload(t, ids(1, 1), 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 3 * time.Second})
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Contains(t, a.NotVerified, "sent unverified")
	assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
	for i := 2; i <= 7; i++ {
		a, _ := fn.invokeWith(t, directPayload(t, ids(i, i), 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 3 * time.Second})
		require.Equal(t, "Success", a.Code, "invocation %d after the slow one: %s", i, a.Message)
		assert.EqualValues(t, 1045, c.project(t, ids(i, i)[0]))
	}
}

// Quick TC3 retries within one second are each signed anew: no two
// attempts carry the same signature.
func TestQuickTC3RetriesHaveDistinctSignatures(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.Script(repeat(emulator.Fault{Kind: emulator.FaultInternalServerError}, 6)...)
	fn := startFunction(t, c, moveOnly, "MAX_RETRIES=6", "SIGNATURE_METHOD=TC3-HMAC-SHA256", "CVM_ENDPOINT="+c.base+"/")
	a, _ := fn.invokeWith(t, directPayload(t, ids(1, 2), 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 20 * time.Second})
	require.Equal(t, "Success", a.Code, a.Message)
	require.Equal(t, 7, a.Batches[0].Attempts)
	sigs := c.signaturesSent()
	require.Len(t, sigs, 7)
	seen := map[string]bool{}
	for _, s := range sigs {
		assert.False(t, seen[s], "a signature sent twice")
		seen[s] = true
	}
}
