package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"scf-cvm-project/internal/scfrpc"
)

// The largest request: 100,000 ids (MAX_INSTANCES' ceiling), as a direct
// invocation, through the runtime protocol. The process's peak resident
// memory (VmHWM) stays at least 20% under the memorySize serverless.yml
// ships, and the answer under SCF's 6 MB limit for a synchronous answer,
// whether no instance is found or every one of them moves.
func TestTheLargestRequestFitsTheShippedMemoryAndTheAnswerLimit(t *testing.T) {
	const n = 100_000
	const answerLimit = 6 << 20 // SCF's limit for a synchronous answer
	memoryMB := shippedMemorySize(t)
	for _, tt := range []struct {
		name      string
		seeded    bool // the instances exist (and move); else none is found
		wantCode  string
		wantMoved int
	}{
		{"no instance found", false, "InvalidInstanceId.NotFound", 0},
		{"every instance moves", true, "Success", n},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			first := 1
			if !tt.seeded {
				first = 300_001 // none of these exist
			} else {
				c.seed(n)
			}
			fn := startFunction(t, c, "MAX_INSTANCES=100000", "RATE_LIMIT=0", "MAX_CONCURRENCY=8",
				"FUNCTION_MEMORY_SIZE="+strconv.Itoa(memoryMB)) // as SCF sets it
			payload := directPayload(t, ids(first, first+n-1), 1045)
			raw, err := fn.Invoke(payload, scfrpc.Invocation{Env: fn.env, Timeout: 120 * time.Second})
			require.NoError(t, err)
			peak := peakMemory(t, fn.PID())
			t.Logf("%s: answer %d bytes, peak resident memory %.1f MB of %d MB shipped", tt.name, len(raw), float64(peak)/(1<<20), memoryMB)

			assert.Less(t, len(raw), answerLimit*8/10, "the answer fits SCF's 6 MB with a 20%% margin")
			assert.LessOrEqual(t, peak, int64(memoryMB)<<20*8/10, "peak memory at least 20%% under the shipped memorySize")

			var a answer
			require.NoError(t, json.Unmarshal(raw, &a))
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			moved := 0
			for _, b := range a.Batches {
				if b.Code == "Success" {
					moved += len(b.InstanceIds)
				}
			}
			assert.Equal(t, tt.wantMoved, moved, "the batches account for every instance moved")
			if tt.seeded {
				assert.EqualValues(t, 1045, c.project(t, "ins-00100000"))
			}
		})
	}
}

// shippedMemorySize is serverless.yml's memorySize, in MB.
func shippedMemorySize(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("../serverless.yml")
	require.NoError(t, err)
	var doc struct {
		Inputs struct {
			MemorySize int `yaml:"memorySize"`
		} `yaml:"inputs"`
	}
	require.NoError(t, yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc))
	require.Positive(t, doc.Inputs.MemorySize)
	return doc.Inputs.MemorySize
}

// peakMemory is a process's peak resident set (VmHWM), in bytes.
func peakMemory(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
