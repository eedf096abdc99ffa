package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// Credentials from a role: the function assumes a role through STS, or
// reads the CVM instance's role from the metadata service, caches the
// temporary keys across warm invocations and refreshes them before they
// expire, all against loopback emulators that accept each key only until
// it expires.

const (
	roleARN      = "qcs::cam::uin/100000000001:roleName/cvm-project-mover"
	instanceRole = "cvm-project-instance"
)

// startRoleServices serves STS and the metadata service on their own
// loopback listeners, recording signatures as the CVM endpoint does.
func (c *cloud) startRoleServices(t testing.TB) {
	t.Helper()
	c.sts = emulator.NewSTS(c.Emulator)
	c.sts.AddRole(roleARN, "")
	c.metadata = emulator.NewMetadata(c.Emulator)
	c.stsURL = c.serveRecorded(t, c.sts)
	c.metadataURL = c.serveRecorded(t, c.metadata)
}

func (c *cloud) serveRecorded(t testing.TB, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sig := r.Header.Get("Authorization"); sig != "" {
			c.mu.Lock()
			c.signatures = append(c.signatures, sig)
			c.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String()
}

// credentialReads counts the metadata reads of the role's keys.
func (c *cloud) credentialReads() int {
	n := 0
	for _, call := range c.metadata.Calls() {
		if call.IssuedSecretID != "" {
			n++
		}
	}
	return n
}

// sourced is an answer with the provider that supplied its keys.
type sourced struct {
	answer
	CredentialSource string
}

func (fn *function) invokeSourced(t *testing.T, payload []byte, c *cloud) (sourced, int) {
	t.Helper()
	raw, err := fn.Invoke(payload, scfrpc.Invocation{Env: fn.env})
	require.NoError(t, err)
	a, status := fn.invokeWithRaw(t, raw, c)
	return a, status
}

// invokeWithRaw decodes raw as invokeWith does, keeping CredentialSource.
func (fn *function) invokeWithRaw(t *testing.T, raw []byte, c *cloud) (sourced, int) {
	t.Helper()
	for _, s := range c.secrets() {
		require.NotContains(t, string(raw), s, "a secret in the answer")
	}
	body, status := raw, 0
	var h httpAnswer
	if json.Unmarshal(raw, &h) == nil && h.StatusCode != 0 {
		body, status = []byte(h.Body), h.StatusCode
	}
	var a sourced
	require.NoError(t, json.Unmarshal(body, &a), "answer: %s", body)
	require.NoError(t, json.Unmarshal(body, &a.answer))
	return a, status
}

// logLines returns the function's JSON log lines with msg, once there are
// want of them or after 2 s: the process's output arrives through a pipe,
// after the answer.
func logLines(t *testing.T, fn *function, msg string, want int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		var out []map[string]any
		for _, line := range strings.Split(fn.Output(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
				out = append(out, m)
			}
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEachProviderAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		path       string
		role       bool // ask for ROLE_ARN
		env        bool // the invocation carries TENCENTCLOUD_SECRETID/KEY
		instance   bool // the metadata service names an instance role
		wantSource string
	}{
		{"env, v1", "HmacSHA256", "/v2/index.php", false, true, false, "env"},
		{"assumed role, TC3", "TC3-HMAC-SHA256", "/", true, true, false, "assumed-role:" + roleARN},
		{"assumed role, v1", "HmacSHA1", "/v2/index.php", true, true, false, "assumed-role:" + roleARN},
		{"CVM instance role, TC3", "TC3-HMAC-SHA256", "/", false, false, true, "cvm-role:" + instanceRole},
		{"CVM instance role, v1", "HmacSHA256", "/v2/index.php", false, false, true, "cvm-role:" + instanceRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			env := []string{"CVM_ENDPOINT=" + c.base + tt.path, "SIGNATURE_METHOD=" + tt.method, "SCF_FUNCTIONNAME=mover"}
			if tt.role {
				env = append(env, "ROLE_ARN="+roleARN)
			}
			if tt.instance {
				c.metadata.SetRole(instanceRole, 0)
			}
			fn := startFunction(t, c, env...)
			if !tt.env {
				fn.env = nil
			}
			a, status := fn.invokeSourced(t, apigwPayload(t, directPayload(t, []string{"ins-00000007"}, 1045)), c)
			require.Equal(t, "Success", a.Code, a.Message)
			assert.Equal(t, 200, status)
			assert.Equal(t, tt.wantSource, a.CredentialSource, "the answer names the provider")
			assert.EqualValues(t, 1045, c.project(t, "ins-00000007"))

			calls := c.moves()
			require.Len(t, calls, 1)
			issued := append(c.sts.Issued(), c.metadata.Issued()...)
			switch {
			case tt.role:
				require.Len(t, c.sts.Issued(), 1)
				assert.Equal(t, c.sts.Issued()[0].SecretID, calls[0].SecretID, "signed with the assumed role's key")
				sts := c.sts.Calls()
				require.Len(t, sts, 1)
				assert.Equal(t, secretID, sts[0].SecretID, "STS called with the execution role's key")
				assert.Equal(t, "cvm-project-mover", sts[0].RoleSessionName)
				assert.EqualValues(t, 3600, sts[0].DurationSeconds)
				assert.Equal(t, "ap-guangzhou", sts[0].Region)
			case tt.instance:
				require.Len(t, c.metadata.Issued(), 1)
				assert.Equal(t, c.metadata.Issued()[0].SecretID, calls[0].SecretID, "signed with the instance role's key")
				assert.Empty(t, c.sts.Calls())
			default:
				assert.Equal(t, secretID, calls[0].SecretID)
				assert.Empty(t, issued)
			}
			assert.Equal(t, len(issued) > 0, calls[0].HasToken, "a temporary key travels with its token")

			// One invocation; three upstream calls: the read before the move,
			// the move, the read that confirms it.
			for msg, n := range map[string]int{"invocation": 1, "upstream call": 3} {
				lines := logLines(t, fn, msg, n)
				require.Len(t, lines, n, msg)
				for _, line := range lines {
					assert.Equal(t, tt.wantSource, line["credential_source"], "the %q log line names the provider", msg)
				}
			}
		})
	}
}

func TestTheChainTakesTheFirstProviderWithKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		role, env   bool
		instance    bool
		wantSource  string
		wantSTSBy   string // "env" or "instance": whose key signed the AssumeRole call
		wantMeta    int    // reads of the instance role's keys
		wantMissing bool
	}{
		{"env before the instance role", false, true, true, "env", "", 0, false},
		{"the instance role without env", false, false, true, "cvm-role:" + instanceRole, "", 1, false},
		{"a role, signed with env's keys before the instance role's", true, true, true, "assumed-role:" + roleARN, "env", 0, false},
		{"a role, signed with the instance role's keys without env", true, false, true, "assumed-role:" + roleARN, "instance", 1, false},
		{"nothing anywhere", false, false, false, "", "", 0, true},
		{"a role but no keys to call STS with", true, false, false, "", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			var env []string
			if tt.role {
				env = append(env, "ROLE_ARN="+roleARN)
			}
			if tt.instance {
				c.metadata.SetRole(instanceRole, 0)
			}
			fn := startFunction(t, c, env...)
			if !tt.env {
				fn.env = nil
			}
			a, status := fn.invokeSourced(t, apigwPayload(t, directPayload(t, []string{"ins-00000009"}, 7)), c)
			assert.Equal(t, tt.wantMeta, c.credentialReads())
			if tt.wantMissing {
				assert.Equal(t, "InternalError.MissingCredentials", a.Code)
				assert.Equal(t, 500, status)
				assert.Contains(t, a.Message, "env: TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY not set", "what was tried")
				assert.Contains(t, a.Message, "cvm-role: no instance role", "what was tried")
				assert.Empty(t, c.Calls(), "no CVM call")
				assert.Empty(t, c.sts.Calls(), "no STS call")
				return
			}
			require.Equal(t, "Success", a.Code, a.Message)
			assert.Equal(t, tt.wantSource, a.CredentialSource)
			sts := c.sts.Calls()
			switch tt.wantSTSBy {
			case "":
				assert.Empty(t, sts)
			case "env":
				require.Len(t, sts, 1)
				assert.Equal(t, secretID, sts[0].SecretID)
				assert.False(t, sts[0].HasToken)
			case "instance":
				require.Len(t, sts, 1)
				require.Len(t, c.metadata.Issued(), 1)
				assert.Equal(t, c.metadata.Issued()[0].SecretID, sts[0].SecretID)
				assert.True(t, sts[0].HasToken, "the instance role's token travels with its key to STS")
			}
		})
	}
}

// Short-lived keys are reused by warm invocations, then replaced before
// they expire: all in one process, against emulators that refuse expired keys.
func TestShortLivedKeysAreRefreshedInOneWarmProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		role   bool
		issued func(*cloud) []emulator.Key
	}{
		{"assumed role", true, func(c *cloud) []emulator.Key { return c.sts.Issued() }},
		{"CVM instance role", false, func(c *cloud) []emulator.Key { return c.metadata.Issued() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			// ExpiredTime is in whole seconds: the function sees 3 to 4 s, and
			// refreshes half-way, 1.5 to 2 s after it got them.
			c.sts.SetLifetime(4 * time.Second)
			c.metadata.SetRole(instanceRole, 4*time.Second)
			var env []string
			if tt.role {
				env = append(env, "ROLE_ARN="+roleARN)
			} else {
				env = append(env, "TENCENTCLOUD_SECRETID=", "TENCENTCLOUD_SECRETKEY=")
			}
			fn := startFunction(t, c, env...)
			if !tt.role {
				fn.env = nil
			}
			move := func(i int) {
				a, _ := fn.invokeSourced(t, directPayload(t, ids(i, i), 5), c)
				require.Equal(t, "Success", a.Code, a.Message)
			}
			move(1)
			first := time.Now()
			move(2)
			move(3)
			require.Len(t, tt.issued(c), 1, "warm invocations reuse the cached keys")

			time.Sleep(time.Until(first.Add(2100 * time.Millisecond)))
			move(4)
			move(5)
			keys := tt.issued(c)
			require.Len(t, keys, 2, "refreshed once, before expiry")

			calls := c.moves()
			require.Len(t, calls, 5)
			want := []string{keys[0].SecretID, keys[0].SecretID, keys[0].SecretID, keys[1].SecretID, keys[1].SecretID}
			for i, call := range calls {
				assert.Equal(t, want[i], call.SecretID, "call %d", i)
				assert.Empty(t, call.Code, "no call refused (an expired key would be AuthFailure.TokenFailure)")
			}
			assert.Len(t, logLines(t, fn, "credentials obtained", 2), 2)
		})
	}
}

// A failed refresh keeps the still-valid keys in use, with a warning; once
// they expire they are never sent, and the answer says why.
func TestExpiredKeysAreNeverSent(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.sts.SetLifetime(4 * time.Second)
	fn := startFunction(t, c, "ROLE_ARN="+roleARN)
	got := time.Now() // the keys are issued during the invocation
	a, _ := fn.invokeSourced(t, directPayload(t, ids(1, 1), 5), c)
	require.Equal(t, "Success", a.Code, a.Message)
	c.sts.Refuse("InternalError.SystemError", "STS is having a bad day")

	time.Sleep(time.Until(got.Add(2100 * time.Millisecond))) // due for refresh, still valid
	a, _ = fn.invokeSourced(t, directPayload(t, ids(2, 2), 5), c)
	require.Equal(t, "Success", a.Code, "the cached keys are still valid: %s", a.Message)
	warnings := logLines(t, fn, "credentials refresh failed; using the cached ones until they expire", 1)
	// One, or more as the keys near their expiry and the refresh is tried
	// again (after a pause of a tenth of what they have left).
	require.NotEmpty(t, warnings)
	for _, w := range warnings {
		assert.Equal(t, "WARN", w["level"])
		assert.Contains(t, w["error"], "InternalError.SystemError")
	}

	time.Sleep(time.Until(got.Add(4100 * time.Millisecond))) // expired
	a, status := fn.invokeSourced(t, apigwPayload(t, directPayload(t, ids(3, 3), 5)), c)
	assert.Equal(t, "InternalError.AssumeRoleFailed", a.Code)
	assert.Equal(t, 502, status)
	assert.Contains(t, a.Message, "InternalError.SystemError")

	calls := c.Calls()
	require.Len(t, calls, 2*3, "no CVM call once the keys expired: two moves, each read before and confirmed after")
	issued := c.sts.Issued()
	require.Len(t, issued, 1)
	for _, call := range calls {
		assert.Equal(t, issued[0].SecretID, call.SecretID)
		assert.Empty(t, call.Code, "never refused as expired")
	}
	assert.EqualValues(t, 0, c.project(t, "ins-00000003"))
}

func TestFiftyConcurrentInvocationsMakeOneSTSCall(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.sts.SetDelay(300 * time.Millisecond) // every invocation arrives while the first waits for STS
	fn := startFunction(t, c, "ROLE_ARN="+roleARN)

	const n = 50
	raws := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		payload := directPayload(t, ids(i+1, i+1), 9)
		wg.Go(func() { raws[i], errs[i] = fn.Invoke(payload, scfrpc.Invocation{Env: fn.env}) })
	}
	wg.Wait()

	for i := range n {
		require.NoError(t, errs[i])
		a, _ := fn.invokeWithRaw(t, raws[i], c)
		assert.Equal(t, "Success", a.Code, "invocation %d: %s", i, a.Message)
		assert.Equal(t, "assumed-role:"+roleARN, a.CredentialSource)
	}
	assert.Len(t, c.sts.Calls(), 1, "one STS call for 50 concurrent invocations")
	issued := c.sts.Issued()
	require.Len(t, issued, 1)
	calls := c.moves()
	require.Len(t, calls, n)
	for _, call := range calls {
		assert.Equal(t, issued[0].SecretID, call.SecretID)
	}
	for i := 1; i <= n; i++ {
		assert.EqualValues(t, 9, c.project(t, ids(i, i)[0]))
	}
}

func TestSTSRefusalIsAnsweredWithItsCodeAndRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(*cloud)
		arn      string
		wantCode string
	}{
		{"refused", func(c *cloud) { c.sts.Refuse("UnauthorizedOperation", "the caller may not assume the role") }, roleARN, "UnauthorizedOperation"},
		{"an unknown role", func(*cloud) {}, "qcs::cam::uin/100000000001:roleName/nope", "ResourceNotFound.RoleNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			tt.setup(c)
			fn := startFunction(t, c, "ROLE_ARN="+tt.arn)
			a, status := fn.invokeSourced(t, apigwPayload(t, directPayload(t, []string{"ins-00000001"}, 1045)), c)
			assert.Equal(t, "InternalError.AssumeRoleFailed", a.Code)
			assert.Equal(t, 502, status)
			sts := c.sts.Calls()
			require.Len(t, sts, 1)
			assert.Contains(t, a.Message, tt.wantCode, "STS's code")
			assert.Contains(t, a.Message, sts[0].RequestID, "STS's RequestId")
			assert.Empty(t, a.RequestId, "no CVM call, no upstream RequestId")
			assert.Empty(t, a.Batches)
			assert.Empty(t, c.Calls(), "no CVM call")
		})
	}
}

func TestMetadataDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      emulator.MetadataFault
		unreached  bool // METADATA_ENDPOINT names a closed port
		role       bool
		env        bool
		wantCode   string
		wantStatus int
		wantInMsg  string
	}{
		{"down, no env", emulator.MetadataDown, false, false, false, "InternalError.MissingCredentials", 500, "HTTP 503"},
		{"unreachable, no env", emulator.MetadataUp, true, false, false, "InternalError.MissingCredentials", 500, "connection refused"}, // in words: no address in an answer
		{"the role named, its keys unreadable", emulator.MetadataCredentialsDown, false, false, false, "InternalError.MetadataUnreachable", 502, instanceRole},
		{"the role named, its keys unreadable, for STS", emulator.MetadataCredentialsDown, false, true, false, "InternalError.MetadataUnreachable", 502, "HTTP 500"},
		{"down, but env has keys", emulator.MetadataDown, false, false, true, "Success", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			c.metadata.SetRole(instanceRole, 0)
			c.metadata.SetFault(tt.fault)
			var env []string
			if tt.unreached {
				env = append(env, "METADATA_ENDPOINT="+refusedURL)
			}
			if tt.role {
				env = append(env, "ROLE_ARN="+roleARN)
			}
			fn := startFunction(t, c, env...)
			if !tt.env {
				fn.env = nil
			}
			a, status := fn.invokeSourced(t, apigwPayload(t, directPayload(t, []string{"ins-00000001"}, 1045)), c)
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Equal(t, tt.wantStatus, status)
			assert.Contains(t, a.Message, tt.wantInMsg)
			assert.Empty(t, c.sts.Calls(), "no STS call without base keys")
			if tt.wantCode != "Success" {
				assert.Empty(t, c.Calls(), "no CVM call")
			}
		})
	}
}

// The whole output of the process and every answer are free of every
// temporary key and token issued (the fixture checks the same for every
// test; this one makes sure there were some to find, from both sources,
// through refreshes, warnings and failures).
func TestNoTemporaryKeyOrTokenInAnyOutput(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.sts.SetLifetime(2 * time.Second)
	c.metadata.SetRole(instanceRole, 2*time.Second)
	fn := startFunction(t, c, "ROLE_ARN="+roleARN, "SIGNATURE_METHOD=TC3-HMAC-SHA256", "CVM_ENDPOINT="+c.base+"/")
	fn.env = nil // the role is assumed with the instance role's keys
	var answers []string
	invoke := func(i int) {
		raw, err := fn.Invoke(apigwPayload(t, directPayload(t, ids(i, i), 3)), scfrpc.Invocation{Env: fn.env})
		require.NoError(t, err)
		answers = append(answers, string(raw))
	}
	invoke(1)
	time.Sleep(1200 * time.Millisecond) // refresh both
	invoke(2)
	c.sts.Refuse("UnauthorizedOperation", "no")
	time.Sleep(1200 * time.Millisecond)
	invoke(3)
	time.Sleep(1200 * time.Millisecond)
	invoke(4)

	keys := append(c.sts.Issued(), c.metadata.Issued()...)
	require.GreaterOrEqual(t, len(c.sts.Issued()), 2)
	require.GreaterOrEqual(t, len(c.metadata.Issued()), 2)
	fn.Stop()
	out := fn.Output()
	require.Contains(t, out, `"credential_source":"assumed-role:`+roleARN+`"`, "the output is the function's log")
	for _, k := range keys {
		for _, secret := range []string{k.SecretKey, k.Token} {
			assert.NotContains(t, out, secret)
			for _, a := range answers {
				assert.NotContains(t, a, secret)
			}
		}
	}
}

// Keys that would expire during an attempt are renewed before it: assumed
// role keys of 3 s, 1 s per upstream answer, five warm invocations of
// three calls each, and no call refused as expired.
func TestKeysAreRenewedBeforeTheyWouldExpireDuringAnAttempt(t *testing.T) {
	t.Parallel() // its margins are seconds, not the milliseconds a busy machine adds
	c := newCloud(t)
	c.sts.SetLifetime(3 * time.Second)
	c.SetLatency(time.Second)
	fn := startFunction(t, c, "ROLE_ARN="+roleARN)
	for i := range 5 {
		a, _ := fn.invokeWith(t, directPayload(t, ids(i+1, i+1), 5), c, scfrpc.Invocation{Env: fn.env, Timeout: 15 * time.Second})
		require.Equal(t, "Success", a.Code, "invocation %d: %s", i+1, a.Message)
	}
	for _, call := range c.Calls() {
		assert.NotEqual(t, "AuthFailure.TokenFailure", call.Code, "%s refused: its keys expired on the way", call.Action)
	}
	assert.Greater(t, len(c.sts.Issued()), 2, "renewed along the way")
}
