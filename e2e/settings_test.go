package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/scfrpc"
)

// withEnv returns the function's invocation environment plus more, as SCF
// sends an invocation's Environment with it.
func (fn *function) withEnv(more map[string]string) scfrpc.Invocation {
	env := maps.Clone(fn.env)
	maps.Copy(env, more)
	return scfrpc.Invocation{Env: env}
}

// An allow-list given only in the invocation's environment refuses a move
// into another project, from the first invocation on; one set between two
// invocations of a warm process refuses from the next.
func TestAnAllowListGivenOnlyInTheInvocationsEnvironmentIsInForce(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	a, status := fn.invokeWith(t, apigwPayload(t, directPayload(t, []string{"ins-00000005"}, 1045)), c,
		fn.withEnv(map[string]string{"ALLOWED_PROJECT_IDS": "0,7"}))
	assert.Equal(t, "UnauthorizedOperation.ProjectNotAllowed", a.Code, a.Message)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Zero(t, c.project(t, "ins-00000005"))
	assert.Empty(t, c.Calls(), "no call (the refusal comes before any read)")

	// A warm process: a move goes through, then the allow-list arrives.
	c = newCloud(t)
	fn = startFunction(t, c)
	a, _ = fn.invoke(t, directPayload(t, []string{"ins-00000006"}, 1045), c)
	require.Equal(t, "Success", a.Code, a.Message)
	a, _ = fn.invokeWith(t, directPayload(t, []string{"ins-00000007"}, 1045), c, fn.withEnv(map[string]string{"ALLOWED_PROJECT_IDS": "7"}))
	assert.Equal(t, "UnauthorizedOperation.ProjectNotAllowed", a.Code, a.Message)
	assert.Zero(t, c.project(t, "ins-00000007"))
	assert.Len(t, c.moves(), 1, "only the first move was sent")
}

// DRY_RUN given only in the invocation's environment makes a timer's move a
// dry run: nothing is sent.
func TestDryRunGivenOnlyInTheInvocationsEnvironmentIsInForce(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	a, _ := fn.invokeWith(t, sample(t, "timer.json"), c, fn.withEnv(map[string]string{"DRY_RUN": "true"}))
	assert.Equal(t, "DryRunOperation", a.Code, a.Message)
	assert.Empty(t, c.writes(), "a dry run sends no write")
	for _, id := range a.InstanceIds {
		assert.Zero(t, c.project(t, id), id)
	}
	// The next invocation says DRY_RUN=false: the move is real.
	a, _ = fn.invokeWith(t, sample(t, "timer.json"), c, fn.withEnv(map[string]string{"DRY_RUN": "false"}))
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Len(t, c.moves(), 1)
}

// With no CVM_ENDPOINT and no SIGNATURE_METHOD the function calls API 3.0
// with TC3-HMAC-SHA256, and the configured line says so, with the version.
// (A dry run: nothing leaves the machine.)
func TestTheDefaultsAreAPI3AndTC3(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := scfrpc.Start(ctx, binary, []string{"TENCENTCLOUD_REGION=ap-guangzhou", "DRY_RUN=true", "METADATA_ENDPOINT=http://127.0.0.1:1"})
	require.NoError(t, err)
	defer p.Stop()
	out, err := p.Invoke(directPayload(t, []string{"ins-00000001"}, 1045), scfrpc.Invocation{Env: map[string]string{
		"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": secretKey,
	}})
	require.NoError(t, err)
	var a struct{ Code, Message string }
	require.NoError(t, json.Unmarshal(out, &a))
	assert.Equal(t, "DryRunOperation", a.Code, a.Message)
	lines := logLines(t, &function{Process: p}, "configured", 1)
	require.Len(t, lines, 1, "a configured line: %s", p.Output())
	configured := lines[0]
	assert.Equal(t, "https://cvm.tencentcloudapi.com/", configured["endpoint"])
	assert.Equal(t, "TC3-HMAC-SHA256", configured["signature_method"])
	assert.NotEmpty(t, configured["version"])
}

// A guard an earlier invocation's Environment opened is closed at the next
// invocation whose Environment lacks it: the runtime sets each
// invocation's variables in the process and never unsets one, so the
// settings are the start's overlaid with the invocation's, and the keys
// still come from the invocation.
func TestASettingRemovedFromTheEnvironmentIsGoneAtTheNextInvocation(t *testing.T) {
	t.Parallel()
	anonymous := httpEvent(t, "apigw.json", "", map[string]*string{"authorization": nil})
	tests := []struct {
		name       string
		opened     map[string]string
		event      []byte
		wantCode   string
		wantStatus int
	}{
		{"ALLOW_ANONYMOUS_HTTP", map[string]string{"ALLOW_ANONYMOUS_HTTP": "true"}, anonymous, "Unauthenticated", http.StatusUnauthorized},
		{"ALLOW_GET", map[string]string{"ALLOW_GET": "true"}, sample(t, "apigw-query.json"), "MethodNotAllowed", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			env := defaults
			if tt.name == "ALLOW_GET" {
				env = []string{"ALLOW_GET="} // the token stays: GET is the guard here
			}
			fn := startFunction(t, c, env...)
			a, status := fn.invokeWith(t, tt.event, c, fn.withEnv(tt.opened))
			require.Equal(t, "Success", a.Code, a.Message)
			require.Equal(t, http.StatusOK, status)
			require.Len(t, c.moves(), 1)

			a, status = fn.invoke(t, tt.event, c)
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			assert.Equal(t, tt.wantStatus, status)
			assert.Len(t, c.moves(), 1, "no move after the setting was removed")

			// Opened again, the keys are still the invocation's: the move is signed and sent.
			a, _ = fn.invokeWith(t, tt.event, c, fn.withEnv(tt.opened))
			assert.Equal(t, "Success", a.Code, a.Message)
		})
	}
}

// Under SCF the runtime serves at once and the function is built beside
// it (here the build is held by a RULES_FILE that is a named pipe): Ping is
// answered while the build is held; an invocation that comes meanwhile,
// whose Environment the runtime has already set in the process, waits for
// the build and is answered (or, when its time runs out first, fails); and
// that Environment stays the invocation's, not the start's: a guard it
// opened is closed at the next invocation without it. (The start's
// environment is read in main before the runtime serves; a read of it
// within the build would have to follow the pipe to be caught here.)
func TestAnInvocationDuringTheBuildWaitsForItAndKeepsItsEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, pipe := filepath.Join(dir, "rules.json"), filepath.Join(dir, "rules.pipe")
	require.NoError(t, syscall.Mkfifo(pipe, 0o600))
	require.NoError(t, os.Link(pipe, path)) // the build opens path and waits for a writer
	c := newCloud(t)
	fn := startFunction(t, c, append(slices.Clone(defaults), "RULES_FILE="+path)...)
	anonymous := httpEvent(t, "apigw.json", "", map[string]*string{"authorization": nil})

	type result struct {
		raw []byte
		err error
	}
	first := make(chan result, 1)
	go func() {
		raw, err := fn.Invoke(anonymous, fn.withEnv(map[string]string{"ALLOW_ANONYMOUS_HTTP": "true"}))
		first <- result{raw, err}
	}()
	select {
	case r := <-first:
		t.Fatalf("answered while the build was held: %s %v", r.raw, r.err)
	case <-time.After(200 * time.Millisecond): // the runtime has set the invocation's Environment
	}
	// One whose time runs out before the build ends is a function error
	// (SCF retries an asynchronous one), not an answer made without settings.
	inv := fn.withEnv(nil)
	inv.Timeout = 300 * time.Millisecond
	_, err := fn.Invoke(directPayload(t, []string{"ins-00000001"}, 1045), inv)
	var ferr *scfrpc.FunctionError
	require.ErrorAs(t, err, &ferr)
	assert.Contains(t, ferr.Message, "still reading its settings")

	// Later builds read a plain file; the held one, the pipe it opened.
	tmp := filepath.Join(dir, "rules.tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(rulesJSON), 0o600))
	require.NoError(t, os.Rename(tmp, path))
	w, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0) // fails (ENXIO) unless the build is reading it
	require.NoError(t, err, "the build waits on the pipe")
	_, err = w.WriteString(rulesJSON)
	require.NoError(t, err)
	require.NoError(t, w.Close())

	var r result
	select {
	case r = <-first:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer after the build was let go")
	}
	require.NoError(t, r.err)
	a, status := fn.invokeWithRaw(t, r.raw, c)
	require.Equal(t, "Success", a.Code, a.Message)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, c.moves(), 1)

	a2, status := fn.invoke(t, anonymous, c)
	assert.Equal(t, "Unauthenticated", a2.Code, a2.Message)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Len(t, c.moves(), 1, "no move after the setting was removed")
}

// ALLOWED_PROJECT_IDS of only commas names no project, as a blank one:
// both are unset (any project), neither refuses every invocation.
func TestAnAllowListNamingNoProjectIsUnset(t *testing.T) {
	t.Parallel()
	for _, v := range []string{" ", ","} {
		t.Run(v, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, "ALLOWED_PROJECT_IDS="+v)
			a, _ := fn.invoke(t, directPayload(t, []string{"ins-00000005"}, 1045), c)
			assert.Equal(t, "Success", a.Code, a.Message)
			assert.EqualValues(t, 1045, c.project(t, "ins-00000005"))
		})
	}
}

// The keys are the invocation's too: a session token an earlier
// invocation's Environment carried is not sent with the permanent keys of
// the next, whose Environment has none.
func TestASessionTokenRemovedFromTheEnvironmentIsNotSent(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	temporary := scfrpc.Invocation{Env: map[string]string{
		"TENCENTCLOUD_SECRETID": tempSecretID, "TENCENTCLOUD_SECRETKEY": tempKey, "TENCENTCLOUD_SESSIONTOKEN": sessionToken,
	}}
	a, _ := fn.invokeWith(t, directPayload(t, []string{"ins-00000008"}, 1045), c, temporary)
	require.Equal(t, "Success", a.Code, a.Message)

	a, _ = fn.invoke(t, directPayload(t, []string{"ins-00000009"}, 1045), c) // permanent keys, no token
	assert.Equal(t, "Success", a.Code, a.Message)
	assert.EqualValues(t, 1045, c.project(t, "ins-00000009"))
	moves := c.moves()
	require.Len(t, moves, 2)
	assert.Equal(t, secretID, moves[1].SecretID)
}
