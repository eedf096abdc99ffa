package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/scfrpc"
)

// wrongToken is what an impostor sends; it is as secret as the real one.
const wrongToken = "impostor-token-for-e2e-tests-EXAMPLE"

// defaults undo the fixture's demo configuration: no token, POST only.
var defaults = []string{"API_TOKEN=", "ALLOW_GET="}

// httpEvent returns the sample with its httpMethod and headers changed: a
// nil value removes the header.
func httpEvent(t *testing.T, sampleName, method string, headers map[string]*string) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(sample(t, sampleName), &ev))
	if method != "" {
		ev["httpMethod"] = method
	}
	h, _ := ev["headers"].(map[string]any)
	for k, v := range headers {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = *v
		}
	}
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

func str(s string) *string { return &s }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Who may call over HTTP: each refusal is answered in the checks' order
// (authentication, method, content type) and makes no upstream call.
func TestHTTPCallersAreCheckedInOrderBeforeAnyCall(t *testing.T) {
	t.Parallel()
	bearer, wrong := str("Bearer "+apiToken), str("Bearer "+wrongToken)
	tests := []struct {
		name       string
		env        []string
		event      []byte
		wantCode   string
		wantStatus int
	}{
		{"by default, no token is configured: refused", defaults,
			sample(t, "apigw.json"), "Unauthenticated", 401},
		{"the function URL too", defaults,
			sample(t, "function-url.json"), "Unauthenticated", 401},
		{"no Authorization header", nil,
			httpEvent(t, "apigw.json", "", map[string]*string{"authorization": nil}), "Unauthenticated", 401},
		{"a wrong token", nil,
			httpEvent(t, "function-url.json", "", map[string]*string{"authorization": wrong}), "Unauthenticated", 401},
		{"the token without Bearer", nil,
			httpEvent(t, "apigw.json", "", map[string]*string{"authorization": str(apiToken)}), "Unauthenticated", 401},
		{"a configured token is required even with ALLOW_ANONYMOUS_HTTP", []string{"ALLOW_ANONYMOUS_HTTP=true"},
			httpEvent(t, "apigw.json", "", map[string]*string{"authorization": nil}), "Unauthenticated", 401},
		{"GET without ALLOW_GET", []string{"ALLOW_GET="},
			sample(t, "apigw-query.json"), "MethodNotAllowed", 405},
		{"PUT", nil,
			httpEvent(t, "apigw.json", "PUT", nil), "MethodNotAllowed", 405},
		{"text/plain", nil,
			httpEvent(t, "apigw.json", "", map[string]*string{"content-type": str("text/plain")}), "UnsupportedMediaType", 415},
		{"authentication first: a wrong token, PUT, text/plain", nil,
			httpEvent(t, "apigw.json", "PUT", map[string]*string{"authorization": wrong, "content-type": str("text/plain")}), "Unauthenticated", 401},
		{"then the method: PUT, text/plain", nil,
			httpEvent(t, "apigw.json", "PUT", map[string]*string{"authorization": bearer, "content-type": str("text/plain")}), "MethodNotAllowed", 405},
		{"before the body is read: a wrong token and a body that is not JSON", nil,
			withBody(t, httpEvent(t, "apigw.json", "", map[string]*string{"authorization": wrong}), `{"InstanceIds":`), "Unauthenticated", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, tt.env...)
			a, status := fn.invoke(t, tt.event, c)
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			assert.Equal(t, tt.wantStatus, status)
			assert.Empty(t, a.RequestId)
			assert.Empty(t, a.Batches)
			assert.Empty(t, c.Calls(), "no upstream call")
			if tt.wantCode == "Unauthenticated" {
				assert.Equal(t, "a valid bearer token is required in the Authorization header", a.Message)
				assert.Nil(t, a.ProjectId, "nothing of the request was read")
				assertLogged(t, fn, "HTTP request refused")
			}
		})
	}
}

// The ways in: the token as such or as its SHA-256, GET when allowed,
// anonymous when allowed and no token is configured, and every non-HTTP
// event without a token.
func TestHTTPCallersThatPassMoveInstances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   []string
		event []byte
	}{
		{"API_TOKEN", nil, sample(t, "apigw.json")},
		{"API_TOKEN_SHA256", []string{"API_TOKEN=", "API_TOKEN_SHA256=" + sha256Hex(apiToken)}, sample(t, "function-url.json")},
		{"both, agreeing", []string{"API_TOKEN_SHA256=" + sha256Hex(apiToken)}, sample(t, "apigw-base64.json")},
		{"GET with ALLOW_GET", nil, sample(t, "apigw-query.json")},
		{"anonymous with ALLOW_ANONYMOUS_HTTP", append(defaults, "ALLOW_ANONYMOUS_HTTP=true"),
			httpEvent(t, "apigw.json", "", map[string]*string{"authorization": nil})},
		{"a timer needs no token", defaults, sample(t, "timer.json")},
		{"a direct invocation needs no token", defaults, sample(t, "direct.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, tt.env...)
			a, status := fn.invoke(t, tt.event, c)
			require.Equal(t, "Success", a.Code, a.Message)
			if status != 0 {
				assert.Equal(t, http.StatusOK, status)
			}
			require.NotEmpty(t, a.InstanceIds)
			for _, id := range a.InstanceIds {
				assert.EqualValues(t, 1045, c.project(t, id), id)
			}
			assert.Len(t, c.moves(), 1)
		})
	}
	t.Run("an anonymous caller is logged with the gateway's identity", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, append(defaults, "ALLOW_ANONYMOUS_HTTP=true")...)
		_, status := fn.invoke(t, httpEvent(t, "apigw.json", "", map[string]*string{"authorization": nil}), c)
		assert.Equal(t, 200, status)
		assertLogged(t, fn, "anonymous HTTP request")
		assertLogged(t, fn, `"service_id":"service-6x2kq9lw"`)
	})
}

// What may be changed: ALLOWED_PROJECT_IDS and MAX_INSTANCES, whatever the
// trigger, refused before credentials are read or any call is made.
func TestWhatMayBeChanged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        []string
		event      []byte
		wantCode   string
		wantStatus int
	}{
		{"a project not allowed, over HTTP", []string{"ALLOWED_PROJECT_IDS=0,2048"},
			sample(t, "apigw.json"), "UnauthorizedOperation.ProjectNotAllowed", 403},
		{"a project not allowed, from a timer", []string{"ALLOWED_PROJECT_IDS=7"},
			sample(t, "timer.json"), "UnauthorizedOperation.ProjectNotAllowed", 0},
		{"a project not allowed, in a dry run", []string{"ALLOWED_PROJECT_IDS=7"},
			[]byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1045,"DryRun":true}`), "UnauthorizedOperation.ProjectNotAllowed", 0},
		{"over MAX_INSTANCES", []string{"MAX_INSTANCES=149"},
			sample(t, "direct-150.json"), "InvalidParameterValue.LimitExceeded", 0},
		{"over MAX_INSTANCES, over HTTP", []string{"MAX_INSTANCES=1"},
			sample(t, "apigw.json"), "InvalidParameterValue.LimitExceeded", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, tt.env...)
			a, status := fn.invoke(t, tt.event, c)
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			assert.Equal(t, tt.wantStatus, status)
			assert.Empty(t, c.Calls(), "no upstream call")
			assert.EqualValues(t, 0, c.project(t, "ins-00000001"), "nothing moved")
		})
	}

	t.Run("an allowed project, at MAX_INSTANCES", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, "ALLOWED_PROJECT_IDS=0, 1045", "MAX_INSTANCES=150")
		a, _ := fn.invoke(t, sample(t, "direct-150.json"), c)
		require.Equal(t, "Success", a.Code, a.Message)
		assert.Len(t, c.moves(), 2)
	})
	t.Run("no credentials are read for a refused project", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, "ALLOWED_PROJECT_IDS=7")
		fn.env = nil
		a, _ := fn.invoke(t, sample(t, "direct.json"), c)
		assert.Equal(t, "UnauthorizedOperation.ProjectNotAllowed", a.Code, "refused before MissingCredentials")
	})
}

// dryRunAnswer is the answer of a dry run, with what would have been sent.
type dryRunAnswer struct {
	raw     []byte
	Code    string
	Message string
	Batches []struct {
		Code        string
		RequestId   string
		InstanceIds []string
	}
	DryRun *struct {
		Action, Endpoint, SignatureMethod, Version, Region, Credentials string
		Batches                                                         []struct {
			Params  map[string]string
			Payload json.RawMessage
		}
	}
}

// A dry run validates, batches and signs with the real keys, and sends
// nothing: no call, nothing moved, and the answer shows each batch without
// a secret.
func TestADryRunSignsEverythingAndSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, method string
		env                []string
		event              []byte
	}{
		{"legacy HmacSHA256, asked in the request", "/v2/index.php", "HmacSHA256", nil,
			[]byte(`{"InstanceIds":` + mustJSON(t, ids(1, 150)) + `,"ProjectId":1045,"DryRun":true}`)},
		{"API 3.0 TC3, asked in the request", "/", "TC3-HMAC-SHA256", nil,
			[]byte(`{"InstanceIds":` + mustJSON(t, ids(1, 150)) + `,"ProjectId":1045,"DryRun":"true"}`)},
		{"DRY_RUN=true, a timer", "/v2/index.php", "HmacSHA1", []string{"DRY_RUN=true"},
			[]byte(`{"Type":"Timer","Message":"InstanceIds=` + strings.Join(ids(1, 150), ",") + `&ProjectId=1045"}`)},
		{"DRY_RUN=true, over HTTP", "/", "HmacSHA256", []string{"DRY_RUN=true"},
			apigwPayload(t, []byte(`{"InstanceIds":`+mustJSON(t, ids(1, 150))+`,"ProjectId":1045}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, append([]string{"CVM_ENDPOINT=" + c.base + tt.path, "SIGNATURE_METHOD=" + tt.method}, tt.env...)...)
			fn.env = map[string]string{"TENCENTCLOUD_SECRETID": tempSecretID, "TENCENTCLOUD_SECRETKEY": tempKey, "TENCENTCLOUD_SESSIONTOKEN": sessionToken}
			d, status := invokeDryRun(t, fn, tt.event, c)

			assert.Equal(t, "DryRunOperation", d.Code, d.Message)
			if status != 0 {
				assert.Equal(t, 200, status)
			}
			assert.Empty(t, c.writes(), "nothing sent but reads")
			for _, id := range ids(1, 150) {
				require.EqualValues(t, 0, c.project(t, id), "nothing moved")
			}
			require.Len(t, d.Batches, 2)
			assert.Equal(t, ids(1, 100), d.Batches[0].InstanceIds)
			assert.Equal(t, ids(101, 150), d.Batches[1].InstanceIds)
			for _, b := range d.Batches {
				assert.Equal(t, "DryRunOperation", b.Code)
				assert.Empty(t, b.RequestId)
			}
			require.NotNil(t, d.DryRun, "the answer says what would be sent: %s", d.raw)
			assert.Equal(t, "ModifyInstancesProject", d.DryRun.Action)
			// The endpoint, its socket address masked: an internal gateway's
			// address is never in an answer (the log has it).
			assert.Equal(t, "http://(an address)"+tt.path, d.DryRun.Endpoint)
			assert.Equal(t, tt.method, d.DryRun.SignatureMethod)
			assert.Equal(t, "2017-03-12", d.DryRun.Version)
			assert.Equal(t, "ap-guangzhou", d.DryRun.Region)
			require.Len(t, d.DryRun.Batches, 2)
			for i, b := range d.DryRun.Batches {
				if tt.method == "TC3-HMAC-SHA256" {
					var p struct {
						InstanceIds []string
						ProjectId   int64
					}
					require.NoError(t, json.Unmarshal(b.Payload, &p))
					assert.Equal(t, d.Batches[i].InstanceIds, p.InstanceIds)
					assert.EqualValues(t, 1045, p.ProjectId)
					continue
				}
				assert.Equal(t, d.Batches[i].InstanceIds[0], b.Params[map[string]string{"/": "InstanceIds.0", "/v2/index.php": "InstanceIds.1"}[tt.path]])
				assert.Equal(t, "ModifyInstancesProject", b.Params["Action"])
				assert.Equal(t, "1045", b.Params["ProjectId"])
				assert.Equal(t, tt.method, b.Params["SignatureMethod"])
				for _, withheld := range []string{"Signature", "Token", "SecretId"} {
					assert.NotContains(t, b.Params, withheld)
				}
			}
			for _, s := range []string{tempKey, sessionToken, tempSecretID, apiToken, "Signature=", "Credential="} {
				assert.NotContains(t, string(d.raw), s)
			}
		})
	}

	t.Run("a request's DryRun false wins over DRY_RUN", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, "DRY_RUN=true")
		a, _ := fn.invoke(t, []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1045,"DryRun":false}`), c)
		require.Equal(t, "Success", a.Code, a.Message)
		assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
	})
	t.Run("a dry run needs credentials, as a real run does", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, "DRY_RUN=true")
		fn.env = nil
		a, _ := fn.invoke(t, sample(t, "direct.json"), c)
		assert.Equal(t, "InternalError.MissingCredentials", a.Code)
	})
}

// A malformed guard setting: logged at start, and every invocation, of
// every kind, answered InvalidConfig (500) with no call.
func TestAMalformedSettingRefusesEveryInvocation(t *testing.T) {
	t.Parallel()
	tests := []struct{ setting, name string }{
		{"ALLOWED_PROJECT_IDS=5,x", "ALLOWED_PROJECT_IDS"},
		{"MAX_INSTANCES=0", "MAX_INSTANCES"},
		{"MAX_INSTANCES=100001", "MAX_INSTANCES"},
		{"API_TOKEN=short", "API_TOKEN"},
		{"API_TOKEN_SHA256=" + sha256Hex("another token entirely"), "API_TOKEN_SHA256"},
		{"API_TOKEN_SHA256=not-hex", "API_TOKEN_SHA256"},
		{"ALLOW_ANONYMOUS_HTTP=yes", "ALLOW_ANONYMOUS_HTTP"},
		{"ALLOW_GET=maybe", "ALLOW_GET"},
		{"DRY_RUN=perhaps", "DRY_RUN"},
	}
	for _, tt := range tests {
		t.Run(tt.setting, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, tt.setting)
			for _, name := range []string{"apigw.json", "timer.json", "direct.json", "apigw.json"} {
				a, status := fn.invoke(t, sample(t, name), c)
				assert.Equal(t, "InternalError.InvalidConfig", a.Code, name)
				assert.Contains(t, a.Message, tt.name)
				if status != 0 {
					assert.Equal(t, 500, status)
				}
			}
			assert.Empty(t, c.Calls())
			fn.Stop() // all its output is in
			out := fn.Output()
			assert.Equal(t, 1, strings.Count(out, `"msg":"invalid configuration"`), "logged once, at start: %s", out)
			assert.NotContains(t, out, `"short"`)
		})
	}
}

// Nothing secret leaves: every sample and every error path, with known
// fake secrets (the keys, a session token, API_TOKEN, a wrong token, every
// signature the emulator received), none of which appears in any answer
// nor in the function's output.
func TestNoSecretLeavesOnAnyPath(t *testing.T) {
	t.Parallel()
	samples, err := filepath.Glob(filepath.Join("..", "events", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, samples)

	tempCreds := map[string]string{"TENCENTCLOUD_SECRETID": tempSecretID, "TENCENTCLOUD_SECRETKEY": tempKey, "TENCENTCLOUD_SESSIONTOKEN": sessionToken}
	wrongKey := map[string]string{"TENCENTCLOUD_SECRETID": tempSecretID, "TENCENTCLOUD_SECRETKEY": "WrongKeyGu5t9xGARNpq86cd98EXAMPLE", "TENCENTCLOUD_SESSIONTOKEN": sessionToken}
	unreachable := httptest.NewServer(http.NotFoundHandler())
	unreachable.Close()

	const api3 = "<the emulator's API 3.0 endpoint>"
	type step struct {
		event []byte
		creds map[string]string
	}
	var everySample []step
	for _, path := range samples {
		everySample = append(everySample, step{sample(t, filepath.Base(path)), tempCreds})
	}
	bad := func(ev []byte) []step { return []step{{ev, tempCreds}} }
	runs := []struct {
		name  string
		env   []string
		steps []step
	}{
		{"every sample", nil, everySample},
		{"every sample, TC3", []string{"SIGNATURE_METHOD=TC3-HMAC-SHA256", "CVM_ENDPOINT=" + api3}, everySample},
		{"every sample, as a dry run", []string{"DRY_RUN=true"}, everySample},
		{"every sample, refused: no token configured", defaults, everySample},
		{"a wrong token", nil, bad(httpEvent(t, "apigw.json", "", map[string]*string{"authorization": str("Bearer " + wrongToken)}))},
		{"a wrong method and type", nil, append(bad(httpEvent(t, "apigw.json", "DELETE", nil)),
			bad(httpEvent(t, "apigw.json", "", map[string]*string{"content-type": str("text/plain")}))...)},
		{"a project not allowed, a limit, malformed input", []string{"ALLOWED_PROJECT_IDS=7", "MAX_INSTANCES=1"}, append(append(
			bad(sample(t, "apigw.json")), bad(sample(t, "direct.json"))...), bad([]byte(`{"InstanceIds":`))...)},
		{"no credentials", nil, []step{{sample(t, "apigw.json"), nil}}},
		{"a wrong secret key", nil, []step{{sample(t, "apigw.json"), wrongKey}, {sample(t, "timer.json"), wrongKey}}},
		{"an unreachable endpoint", []string{"CVM_ENDPOINT=" + unreachable.URL + "/v2/index.php"}, everySample},
		{"a malformed setting", []string{"ALLOWED_PROJECT_IDS=5,x"}, everySample},
		{"a short API_TOKEN", []string{"API_TOKEN=" + apiToken[:10]}, everySample},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			c := newCloud(t)
			env := slices.Clone(r.env)
			for i, e := range env {
				env[i] = strings.ReplaceAll(e, api3, c.base+"/")
			}
			fn := startFunction(t, c, env...)
			var answers []string
			for _, s := range r.steps {
				raw, err := fn.Invoke(s.event, scfrpc.Invocation{Env: s.creds})
				var ferr *scfrpc.FunctionError
				if errors.As(err, &ferr) { // unfinished asynchronous work: its message is checked too
					answers = append(answers, ferr.Message)
					continue
				}
				require.NoError(t, err)
				answers = append(answers, string(raw))
			}
			if strings.HasPrefix(r.name, "every sample") && !strings.Contains(r.name, "refused") && !strings.Contains(r.name, "dry run") {
				require.NotEmpty(t, c.Calls(), "signed calls were sent, so their signatures are among the secrets checked")
			}
			secrets := append(c.secrets(), wrongToken, wrongKey["TENCENTCLOUD_SECRETKEY"], "Bearer "+apiToken, sha256Hex(apiToken))
			fn.Stop() // all its output is in
			out := fn.Output()
			require.NotEmpty(t, out, "the function logged")
			for _, s := range secrets {
				require.NotEmpty(t, s)
				assert.NotContains(t, out, s, "a secret in the function's output")
				for i, a := range answers {
					assert.NotContains(t, a, s, "a secret in answer %d", i)
				}
			}
		})
	}
}

// assertLogged waits a little for the function's log to say s: its output
// is copied from a pipe, after the answer.
func assertLogged(t *testing.T, fn *function, s string) {
	t.Helper()
	assert.Eventually(t, func() bool { return strings.Contains(fn.Output(), s) }, 5*time.Second, 5*time.Millisecond, "the log says %q", s)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// withBody replaces an HTTP event's body.
func withBody(t *testing.T, event []byte, body string) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(event, &ev))
	ev["body"] = body
	ev["isBase64Encoded"] = false
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

// invokeDryRun invokes as fn.invoke does, and reads the answer's DryRun too.
func invokeDryRun(t *testing.T, fn *function, payload []byte, c *cloud) (dryRunAnswer, int) {
	t.Helper()
	_, status := fn.invoke(t, payload, c) // checks the answer's shape and that it holds no secret
	raw, err := fn.Invoke(payload, scfrpc.Invocation{Env: fn.env})
	require.NoError(t, err)
	var h httpAnswer
	if json.Unmarshal(raw, &h) == nil && h.StatusCode != 0 {
		raw = []byte(h.Body)
	}
	d := dryRunAnswer{raw: raw}
	require.NoError(t, json.Unmarshal(raw, &d))
	return d, status
}
