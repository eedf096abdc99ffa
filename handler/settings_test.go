package handler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentyun/scf-go-lib/functioncontext"

	"scf-cvm-project/credentials"
	"scf-cvm-project/handler/answer"
)

// processEnv is what the process was started with: keys, a region, and a
// CVM endpoint on loopback where nothing listens.
var processEnv = map[string]string{
	"TENCENTCLOUD_SECRETID":  "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
	"TENCENTCLOUD_SECRETKEY": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
	"TENCENTCLOUD_REGION":    "ap-guangzhou",
	"CVM_ENDPOINT":           "http://127.0.0.1:1/",
	"MAX_RETRIES":            "0",
	"METADATA_ENDPOINT":      "http://127.0.0.1:1",
}

// invocationCtx is the context scf-go-lib gives an invocation whose
// Environment is env.
func invocationCtx(env map[string]string) context.Context {
	return functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "r", Environment: env})
}

// Settings given only in an invocation's Environment are in force for that
// invocation, whatever concurrent invocations were given.
func TestSettingsOfTheInvocationAreInForce(t *testing.T) {
	h := NewFromEnv(func(k string) string { return processEnv[k] }, slog.New(slog.DiscardHandler))
	require.Nil(t, h.ConfigErr)
	move := []byte(`{"InstanceIds":["ins-00000005"],"ProjectId":1045}`)
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ALLOWED_PROJECT_IDS": "0,7"}, answer.CodeProjectNotAllowed},
		{map[string]string{"DRY_RUN": "true"}, answer.CodeDryRun},
		{map[string]string{"MAX_INSTANCES": "x"}, answer.CodeInvalidConfig},
		{map[string]string{"DRY_RUN": "true", "ALLOWED_PROJECT_IDS": "1045"}, answer.CodeDryRun},
		{nil, answer.CodeUpstreamUnreachable}, // a real move: nothing listens there
	}
	var wg sync.WaitGroup
	for range 20 {
		for _, tt := range tests {
			wg.Go(func() {
				out, err := h.Invoke(invocationCtx(tt.env), move)
				assert.NoError(t, err)
				assert.Equal(t, tt.want, decodeAnswer(t, out).Code, "%v", tt.env)
			})
		}
	}
	wg.Wait()
}

// A change of a guard keeps the CVM client (its rate) and the credential
// provider (its cache); a change of their own settings replaces them. A bad
// setting given later refuses, and a good one given after it runs again.
func TestSettingsRebuildKeepsWhatDidNotChange(t *testing.T) {
	var log bytes.Buffer
	h := NewFromEnv(func(k string) string { return processEnv[k] }, slog.New(slog.NewJSONHandler(&log, nil)))
	s := h.settings
	first := s.cur.Load()
	assert.Same(t, h, s.handler(invocationCtx(map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou"})), "the same settings: the same Handler")
	assert.Same(t, h, s.handler(invocationCtx(map[string]string{"TENCENTCLOUD_SECRETID": "AKIDother"})), "the keys are read at each call, not settings")

	dry := s.handler(invocationCtx(map[string]string{"DRY_RUN": "true"}))
	assert.NotSame(t, h, dry)
	assert.True(t, dry.Security.DryRun)
	assert.Same(t, first.cfg.CVM, dry.CVM, "the client and its rate are kept")
	assert.Same(t, cached(t, first.provider), cached(t, dry.Credentials), "the credentials and their cache are kept")

	for _, env := range []map[string]string{{"MAX_CONCURRENCY": "2"}, {"VERIFY": "false"}, {"TAG_ENDPOINT": "http://127.0.0.1:1/tag/"}} {
		other := s.handler(invocationCtx(env))
		assert.NotSame(t, h, other)
		assert.Same(t, first.cfg.CVM, other.CVM, "%v is not the CVM client's", env)
	}
	tuned := s.handler(invocationCtx(map[string]string{"RATE_LIMIT": "5"}))
	assert.NotSame(t, first.cfg.CVM, tuned.CVM)
	assert.Same(t, cached(t, first.provider), cached(t, tuned.Credentials))

	role := s.handler(invocationCtx(map[string]string{"ROLE_ARN": "qcs::cam::uin/100000000001:roleName/mover"}))
	assert.Equal(t, "*credentials.AssumeRole", typeName(role.Credentials))

	bad := s.handler(invocationCtx(map[string]string{"ALLOWED_PROJECT_IDS": "5,x"}))
	require.NotNil(t, bad.ConfigErr)
	assert.Equal(t, answer.CodeInvalidConfig, bad.ConfigErr.Code)
	assert.Nil(t, s.handler(invocationCtx(nil)).ConfigErr)
	assert.Contains(t, log.String(), "invalid configuration")
}

// cached returns the instance role's provider, which caches its keys, of
// the chain p.
func cached(t *testing.T, p credentials.Provider) credentials.Provider {
	t.Helper()
	c, ok := p.(credentials.Chain)
	require.True(t, ok, "%T", p)
	require.Len(t, c, 2)
	return c[1]
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

// The configured line names the version and the settings in force, once
// per set of settings: as the Handler is built (at a cold start, before any
// invocation), and at the invocation that saw a setting change.
func TestConfiguredLineNamesTheVersion(t *testing.T) {
	old := Version
	Version = "v1.2.3-test"
	t.Cleanup(func() { Version = old })
	var log bytes.Buffer
	var mu sync.Mutex
	h := NewFromEnv(func(k string) string { return processEnv[k] }, slog.New(slog.NewJSONHandler(&lockedWriter{w: &log, mu: &mu}, nil)))
	configured := func() int {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Count(log.Bytes(), []byte(`"msg":"configured"`))
	}
	assert.Equal(t, 1, configured(), "written by the build, before any invocation")
	move := []byte(`{"InstanceIds":["ins-00000005"],"ProjectId":1045,"DryRun":true}`)
	_, _ = h.Invoke(invocationCtx(nil), move)
	_, _ = h.Invoke(invocationCtx(nil), move)
	assert.Equal(t, 1, configured(), "the settings did not change")
	_, _ = h.Invoke(invocationCtx(map[string]string{"DRY_RUN": "true"}), move)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, bytes.Count(log.Bytes(), []byte(`"msg":"configured"`)), "once per set of settings: %s", log.String())
	assert.Contains(t, log.String(), `"version":"v1.2.3-test","endpoint":"http://127.0.0.1:1/","signature_method":"TC3-HMAC-SHA256"`)
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestASnapshotKnowsWhatItDependsOn(t *testing.T) {
	env := map[string]string{"DRY_RUN": "true", "MAX_INSTANCES": "5"}
	get := func(k string) string { return env[k] }
	var snap snapshot
	rec := snap.record(get)
	assert.Equal(t, "true", rec("DRY_RUN"))
	assert.Equal(t, "", rec("ALLOWED_PROJECT_IDS"))

	assert.True(t, snap.same(get))
	env["MAX_INSTANCES"] = "6"
	assert.True(t, snap.same(get), "a variable not read is not depended on")
	env["ALLOWED_PROJECT_IDS"] = "0"
	assert.False(t, snap.same(get), "a variable read as unset that is now set is a change")
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

// The variables of an invocation are its Environment, else the process's
// at start: never what the runtime's os.Setenv left from an earlier one.
func TestTheInvocationsVariablesOverlayTheStart(t *testing.T) {
	t.Setenv("ALLOW_GET", "true") // what an earlier invocation's Environment left in the process
	start := AtStart([]string{"TENCENTCLOUD_REGION=ap-guangzhou", "DRY_RUN=false", "METADATA_ENDPOINT=http://127.0.0.1:1"})
	h := NewFromEnv(start, slog.New(slog.DiscardHandler))
	tests := []struct {
		name       string
		env        map[string]string
		wantDryRun bool
	}{
		{"no Environment: the start's", nil, false},
		{"the invocation's over the start's", map[string]string{"DRY_RUN": "true"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.settings.handler(invocationCtx(tt.env))
			require.Nil(t, got.ConfigErr)
			assert.Equal(t, tt.wantDryRun, got.Security.DryRun)
			assert.Equal(t, "ap-guangzhou", got.DefaultRegion, "what the invocation does not give, the start gives")
			assert.False(t, got.Security.AllowGET, "not what os.Setenv left")
		})
	}
}

// One HTTP client for every invocation: keep-alive, no overall timeout
// (each call's context carries its deadline).
func TestOneHTTPClient(t *testing.T) {
	h := NewFromEnv(func(k string) string { return processEnv[k] }, slog.New(slog.DiscardHandler))
	c := h.settings.httpClient
	require.NotNil(t, c.Transport)
	assert.Zero(t, c.Timeout)
}

// Every line an invocation writes names it: its own line and its upstream
// calls' (cvm logs through the Handler's logger).
func TestAnInvocationsLogLinesNameIt(t *testing.T) {
	var log bytes.Buffer
	h := NewFromEnv(func(k string) string { return processEnv[k] }, slog.New(slog.NewJSONHandler(&log, nil)))
	_, err := h.Invoke(invocationCtx(nil), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1}`))
	require.NoError(t, err)
	named := 0
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if strings.Contains(line, `"msg":"invocation"`) || strings.Contains(line, `"action":`) {
			assert.Contains(t, line, `"function_request_id":"r"`)
			named++
		}
	}
	assert.GreaterOrEqual(t, named, 2, "the invocation's line and a call's: %s", log.String())
}
