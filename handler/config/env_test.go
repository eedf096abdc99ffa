package config

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tencentyun/scf-go-lib/functioncontext"
)

func TestASnapshotKnowsWhatItDependsOn(t *testing.T) {
	env := map[string]string{"DRY_RUN": "true", "MAX_INSTANCES": "5"}
	get := func(k string) string { return env[k] }
	var snap Snapshot
	rec := snap.Record(get)
	assert.Equal(t, "true", rec("DRY_RUN"))
	assert.Equal(t, "", rec("ALLOWED_PROJECT_IDS"))

	assert.True(t, snap.Same(get))
	env["MAX_INSTANCES"] = "6"
	assert.True(t, snap.Same(get), "a variable not read is not depended on")
	env["ALLOWED_PROJECT_IDS"] = "0"
	assert.False(t, snap.Same(get), "a variable read as unset that is now set is a change")
}

func TestForInvocationPrefersTheInvocationsEnvironment(t *testing.T) {
	process := func(k string) string {
		return map[string]string{"DRY_RUN": "false", "TENCENTCLOUD_REGION": "ap-guangzhou"}[k]
	}
	assert.Equal(t, "false", ForInvocation(context.Background(), process)("DRY_RUN"), "no function context: the process's")

	ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{Environment: map[string]string{"DRY_RUN": "true"}})
	get := ForInvocation(ctx, process)
	assert.Equal(t, "true", get("DRY_RUN"))
	assert.Equal(t, "ap-guangzhou", get("TENCENTCLOUD_REGION"), "what the invocation does not give, the process gives")
}

func TestAtStartIsTheEnvironmentGiven(t *testing.T) {
	tests := []struct {
		name, key, want string
		environ         []string
	}{
		{"a variable", "ALLOW_GET", "true", []string{"ALLOW_GET=true"}},
		{"a value with =", "API_TOKEN", "a=b", []string{"API_TOKEN=a=b"}},
		{"absent", "ALLOW_GET", "", []string{"DRY_RUN=true"}},
		{"the first of two, as os.Getenv", "DRY_RUN", "true", []string{"DRY_RUN=true", "DRY_RUN=false"}},
		{"an entry without =", "BROKEN", "", []string{"BROKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, AtStart(tt.environ)(tt.key))
		})
	}
}

// A variable an earlier invocation set and this one lacks is the start's:
// ForInvocation never falls back to what the runtime's os.Setenv left.
func TestForInvocationFallsBackToTheStart(t *testing.T) {
	t.Setenv("ALLOW_GET", "true") // what an earlier invocation's Environment left in the process
	start := AtStart([]string{"TENCENTCLOUD_REGION=ap-guangzhou"})
	ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{Environment: map[string]string{"DRY_RUN": "true"}})
	get := ForInvocation(ctx, start)
	assert.Empty(t, get("ALLOW_GET"))
	assert.Equal(t, "true", get("DRY_RUN"))
	assert.Equal(t, "ap-guangzhou", get("TENCENTCLOUD_REGION"))
}
