package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// Every sample event that asks for a move gets it: the instances it names
// end up in its project, and the answer carries the emulator's RequestId.
// The samples of tag rules and EventBridge are run in rules_test.go.
func TestEverySampleEventMovesItsInstances(t *testing.T) {
	t.Parallel()
	samples, err := filepath.Glob(filepath.Join("..", "events", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, samples)
	for _, path := range samples {
		name := filepath.Base(path)
		if strings.HasPrefix(name, "invalid") || isRulesSample(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c)
			a, status := fn.invoke(t, sample(t, name), c)

			require.Equal(t, "Success", a.Code, a.Message)
			if strings.HasPrefix(name, "apigw") || strings.HasPrefix(name, "function-url") {
				assert.Equal(t, http.StatusOK, status)
			}
			require.NotNil(t, a.ProjectId)
			require.NotZero(t, *a.ProjectId, "samples move instances out of the default project")
			require.NotEmpty(t, a.InstanceIds)
			for _, id := range a.InstanceIds {
				assert.Equal(t, *a.ProjectId, c.project(t, id), id)
			}
			calls := c.moves()
			require.Len(t, calls, len(a.Batches))
			assert.Equal(t, callFor(t, calls, a.Batches[0].InstanceIds).RequestID, a.RequestId, "the upstream RequestId is the answer's")
			assert.Empty(t, a.Message)
		})
	}
}

// Every signature method, on both endpoints, with permanent and temporary keys.
func TestEverySignatureMethodIsAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, method string
		temporary          bool
	}{
		{"legacy HmacSHA256", "/v2/index.php", "HmacSHA256", false},
		{"legacy HmacSHA1", "/v2/index.php", "HmacSHA1", false},
		{"legacy HmacSHA256 with a session token", "/v2/index.php", "HmacSHA256", true},
		{"API 3.0 HmacSHA256", "/", "HmacSHA256", false},
		{"API 3.0 HmacSHA1", "/", "HmacSHA1", false},
		{"API 3.0 TC3", "/", "TC3-HMAC-SHA256", false},
		{"API 3.0 TC3 with a session token", "/", "TC3-HMAC-SHA256", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, "CVM_ENDPOINT="+c.base+tt.path, "SIGNATURE_METHOD="+tt.method)
			if tt.temporary {
				fn.env = map[string]string{
					"TENCENTCLOUD_SECRETID": tempSecretID, "TENCENTCLOUD_SECRETKEY": tempKey, "TENCENTCLOUD_SESSIONTOKEN": sessionToken,
				}
			}
			a, _ := fn.invoke(t, directPayload(t, []string{"ins-00000007", "ins-00000008"}, 1045), c)
			require.Equal(t, "Success", a.Code, a.Message)
			assert.EqualValues(t, 1045, c.project(t, "ins-00000007"))
			assert.EqualValues(t, 1045, c.project(t, "ins-00000008"))
			calls := c.moves()
			require.Len(t, calls, 1)
			assert.Equal(t, tt.method, calls[0].SignatureMethod)
			assert.Equal(t, tt.temporary, calls[0].HasToken)
			assert.Equal(t, []string{"ins-00000007", "ins-00000008"}, calls[0].InstanceIDs)
		})
	}
}

func TestATimerMoves150InstancesInTwoBatches(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	a, _ := fn.invoke(t, sample(t, "direct-150.json"), c)

	require.Equal(t, "Success", a.Code, a.Message)
	require.Len(t, a.Batches, 2)
	assert.Equal(t, ids(1, 100), a.Batches[0].InstanceIds)
	assert.Equal(t, ids(101, 150), a.Batches[1].InstanceIds)
	calls := c.moves()
	require.Len(t, calls, 2)
	// The batches run concurrently: the calls may arrive in either order.
	assert.Equal(t, callFor(t, calls, ids(1, 100)).RequestID, a.Batches[0].RequestId)
	assert.Equal(t, callFor(t, calls, ids(101, 150)).RequestID, a.Batches[1].RequestId)
	assert.NotEqual(t, a.Batches[0].RequestId, a.Batches[1].RequestId)
	for _, id := range ids(1, 150) {
		require.EqualValues(t, 1045, c.project(t, id), id)
	}
	assert.EqualValues(t, 0, c.project(t, "ins-00000151"), "nothing else moves")
}

// The API is all-or-nothing per batch: a failed batch is reported and the
// others still go through.
func TestAFailedBatchDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c, moveOnly)            // the API's own refusal: VERIFY would not send the unknown instance
	request := append(ids(1, 100), "ins-0000dead") // the second batch names an unknown instance
	a, _ := fn.invoke(t, directPayload(t, request, 7), c)

	require.Len(t, a.Batches, 2)
	assert.Equal(t, "Success", a.Batches[0].Code)
	assert.Equal(t, "InvalidInstanceId.NotFound", a.Batches[1].Code)
	assert.Equal(t, "InvalidInstanceId.NotFound", a.Code, "the top-level code is the first failing batch's")
	assert.Equal(t, a.Batches[1].RequestId, a.RequestId)
	assert.Contains(t, a.Message, "ins-0000dead")
	assert.EqualValues(t, 7, c.project(t, "ins-00000100"))
}

func TestUpstreamRefusalsAreAnsweredWithTheirCodeAndStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ids        []string
		env        map[string]string
		wantCode   string
		wantStatus int
	}{
		{"an unknown instance", []string{"ins-00000001", "ins-0000dead"}, nil, "InvalidInstanceId.NotFound", 404},
		{"an instance bound to a load balancer", []string{"ins-00000001", "ins-lb000001"}, nil, "InvalidInstance.NotSupported", 409},
		{"a wrong secret key", []string{"ins-00000001"},
			map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": "Gu5t9xGARNpq86cd98joQYCN3WRONGKEY"},
			"AuthFailure.SignatureFailure", 502},
		{"an unknown SecretId", []string{"ins-00000001"},
			map[string]string{"TENCENTCLOUD_SECRETID": "AKIDunknownz8krbsJ5yKBZQpn74WEXAMPLE", "TENCENTCLOUD_SECRETKEY": secretKey},
			"AuthFailure.SecretIdNotFound", 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c, moveOnly) // the API's own refusals: VERIFY would not send an unknown instance
			if tt.env != nil {
				fn.env = tt.env
			}
			a, status := fn.invoke(t, apigwPayload(t, directPayload(t, tt.ids, 1045)), c)
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Equal(t, tt.wantStatus, status)
			assert.NotEmpty(t, a.RequestId, "the upstream RequestId is reported on failures too")
			assert.NotEmpty(t, a.Message)
			assert.EqualValues(t, 0, c.project(t, "ins-00000001"), "all or nothing")
		})
	}
}

// Requests that fail validation are answered without any upstream call.
func TestBadInputIsRefusedWithoutAnyUpstreamCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		payload    string
		wantCode   string
		wantInMsg  string
		wantStatus int
	}{
		{"not JSON", `{"InstanceIds":`, "InvalidParameter", "JSON", 0},
		{"an array", `[1,2]`, "InvalidParameter", "object", 0},
		{"no instances", `{"ProjectId":1045}`, "MissingParameter", "InstanceIds", 0},
		{"no project", `{"InstanceIds":["ins-00000001"]}`, "MissingParameter", "ProjectId", 0},
		{"a negative project", `{"InstanceIds":["ins-00000001"],"ProjectId":-1}`, "InvalidParameterValue", "ProjectId", 0},
		{"a malformed id", `{"InstanceIds":["ins-00000001","i-123"],"ProjectId":1045}`, "InvalidInstanceId.Malformed", "i-123", 0},
		{"a bad region", `{"InstanceIds":["ins-00000001"],"ProjectId":1045,"Region":"Guangzhou"}`, "InvalidParameterValue", "Region", 0},
		{"malformed over HTTP", string(apigwPayload(t, []byte(`{"InstanceIds":["bad"],"ProjectId":1045}`))), "InvalidInstanceId.Malformed", "bad", 400},
		{"bad JSON body over HTTP", string(apigwPayload(t, []byte(`{"InstanceIds":[`))), "InvalidParameter", "JSON", 400},
		{"a body that is not base64 over HTTP", string(apigwWith(t, map[string]any{"isBase64Encoded": true, "body": "not base64!"})), "InvalidParameter", "base64", 400},
		{"an HTTP body over 6 MiB", string(apigwPayload(t, []byte(`{"InstanceIds":["`+strings.Repeat("a", 6<<20)+`"]}`))), "RequestSizeLimitExceeded", "6291456", 413},
		{"an HTTP event with unreadable headers is not authenticated", string(apigwWith(t, map[string]any{"headers": map[string]any{"content-length": 12}})), "Unauthenticated", "bearer token", 401},
		{"a sample", string(sample(t, "invalid-malformed-id.json")), "InvalidInstanceId.Malformed", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			fn := startFunction(t, c)
			a, status := fn.invoke(t, []byte(tt.payload), c)
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Contains(t, a.Message, tt.wantInMsg)
			assert.Equal(t, tt.wantStatus, status)
			assert.Empty(t, a.RequestId, "no upstream call, no upstream RequestId")
			assert.Empty(t, a.Batches)
			assert.Empty(t, c.Calls(), "no upstream call for a request that fails validation")
		})
	}
}

func TestMissingCredentialsMakeNoCall(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	fn.env = nil
	a, status := fn.invoke(t, apigwPayload(t, directPayload(t, []string{"ins-00000001"}, 1045)), c)
	assert.Equal(t, "InternalError.MissingCredentials", a.Code)
	assert.Equal(t, 500, status)
	assert.Contains(t, a.Message, "TENCENTCLOUD_SECRETID")
	assert.Equal(t, []string{"ins-00000001"}, a.InstanceIds, "what was parsed is echoed")
	assert.Empty(t, c.Calls())
}

func TestAnUnreachableEndpointIsReportedAsSuch(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c, "CVM_ENDPOINT="+refusedURL+"/v2/index.php")
	a, status := fn.invoke(t, apigwPayload(t, directPayload(t, []string{"ins-00000001"}, 1045)), c)
	assert.Equal(t, "InternalError.UpstreamUnreachable", a.Code)
	assert.Equal(t, 502, status)
	assert.Contains(t, a.Message, "the connection was refused")
	assert.NotContains(t, a.Message, "127.0.0.1", "no socket address in an answer: the log line has the endpoint")
}

func TestTheAnswerComesBeforeTheDeadline(t *testing.T) {
	c := newCloud(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices when the client hangs up
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	fn := startFunction(t, c, "CVM_ENDPOINT="+slow.URL+"/v2/index.php")
	start := time.Now()
	a, status := fn.invokeWith(t, apigwPayload(t, directPayload(t, []string{"ins-00000001"}, 1045)), c,
		scfrpc.Invocation{Env: fn.env, Timeout: 1500 * time.Millisecond})
	assert.Less(t, time.Since(start), 1500*time.Millisecond, "answered within the invocation's time limit")
	assert.Equal(t, "InternalError.DeadlineExceeded", a.Code)
	assert.Equal(t, 504, status)
}

func TestWarmInvocationsReuseOneConnection(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	for i := 1; i <= 5; i++ {
		a, _ := fn.invoke(t, directPayload(t, ids(i, i), 1045), c)
		require.Equal(t, "Success", a.Code)
	}
	assert.EqualValues(t, 1, c.connections.Load(), "one kept-alive connection for five invocations")
}

func TestAMisconfiguredFunctionRefusesToRun(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c, "SIGNATURE_METHOD=HmacMD5")
	a, status := fn.invoke(t, apigwPayload(t, directPayload(t, []string{"ins-00000001"}, 1045)), c)
	assert.Equal(t, "InternalError.InvalidConfig", a.Code)
	assert.Equal(t, 500, status, "the function's own fault")
	assert.Contains(t, a.Message, "SIGNATURE_METHOD")
	assert.Empty(t, c.Calls())
}

func TestPingAnswers(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	require.NoError(t, fn.Ping())
}

// apigwPayload wraps body in an API Gateway integration request.
func apigwPayload(t *testing.T, body []byte) []byte {
	t.Helper()
	return apigwWith(t, map[string]any{"body": string(body)})
}

// apigwWith is events/apigw.json with some top-level fields replaced.
func apigwWith(t *testing.T, fields map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", "apigw.json"))
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(b, &ev))
	for k, v := range fields {
		ev[k] = v
	}
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

// No answer names a socket address, whatever failed: the CVM endpoint, STS
// or the metadata service unreachable, a deadline that cut the calls short,
// a restore that failed. The detail is on the log line.
func TestNoAnswerNamesAnAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   []string
		setup func(*cloud)
		keys  map[string]string // nil: the example keys
	}{
		{"CVM unreachable", []string{"CVM_ENDPOINT=" + refusedURL + "/"}, nil, nil},
		{"STS unreachable", []string{"ROLE_ARN=" + roleARN, "STS_ENDPOINT=" + refusedURL + "/"}, nil, nil},
		{"metadata unreachable", []string{"METADATA_ENDPOINT=" + refusedURL}, nil, map[string]string{}},
		{"the deadline", nil, func(c *cloud) { c.SetLatency(1500 * time.Millisecond) }, nil},
		{"a failed restore", []string{"KEEP_SECURITY_GROUPS=true"}, func(c *cloud) {
			c.SetDetachSecurityGroupsOnMove(true)
			c.SetSecurityGroups("ins-00000001", "sg-aaaaaaaa")
			c.ScriptAction(emulator.ActionModifyAttribute, emulator.Fault{Kind: emulator.FaultReset}, emulator.Fault{Kind: emulator.FaultReset},
				emulator.Fault{Kind: emulator.FaultReset}, emulator.Fault{Kind: emulator.FaultReset})
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			if tt.setup != nil {
				tt.setup(c)
			}
			fn := startFunction(t, c, tt.env...)
			if tt.keys != nil {
				fn.env = tt.keys
			}
			raw, err := fn.Invoke(apigwPayload(t, directPayload(t, ids(1, 1), 1045)), scfrpc.Invocation{Env: fn.env, Timeout: 2 * time.Second})
			require.NoError(t, err)
			assert.NotContains(t, string(raw), "127.0.0.1", "an address in the answer")
			assert.NotRegexp(t, `\d+\.\d+\.\d+\.\d+:\d+|localhost:\d+`, string(raw), "a socket address in the answer")
		})
	}
}
