package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/signer"
)

// apigwEvent is an API Gateway event with the given method, headers and body.
func apigwEvent(t *testing.T, method string, headers map[string]string, body string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"requestContext": map[string]any{"serviceId": "service-6x2kq9lw", "requestId": "gw-1", "sourceIp": "203.0.113.24", "stage": "release",
			"identity": map[string]any{"secretId": "AKIDgatewaykeyEXAMPLE"}},
		"httpMethod": method, "path": "/move", "headers": headers, "body": body, "queryString": map[string]any{}, "isBase64Encoded": false,
	})
	require.NoError(t, err)
	return b
}

// httpAnswer unwraps an API Gateway answer: its status and the answer.
func httpAnswer(t *testing.T, out []byte) (int, answer.Answer) {
	t.Helper()
	var resp struct {
		StatusCode int
		Headers    map[string]string
		Body       string
	}
	require.NoError(t, json.Unmarshal(out, &resp))
	require.NotZero(t, resp.StatusCode, "an HTTP answer: %s", out)
	return resp.StatusCode, decodeAnswer(t, []byte(resp.Body))
}

// unauthenticatedMessage is all a caller refused by the HTTP checks is told.
const unauthenticatedMessage = "a valid bearer token is required in the Authorization header"

func logTo(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(buf, nil)) }

// Every HTTP refusal is answered before the request is read and with no
// upstream call; what to configure goes to the log only.
func TestHTTPChecksComeFirstAndCallNothing(t *testing.T) {
	bearer := "Bearer " + testToken
	good := `{"InstanceIds":["ins-00000001"],"ProjectId":3}`
	tests := []struct {
		name       string
		sec        guard.Security
		method     string
		headers    map[string]string
		body       string
		wantCode   string
		wantStatus int
	}{
		{"no token configured", guard.Security{}, "POST", map[string]string{"authorization": bearer}, good, answer.CodeUnauthenticated, 401},
		{"no token sent", guard.Security{TokenSHA256: guard.TokenDigest(testToken)}, "POST", nil, good, answer.CodeUnauthenticated, 401},
		{"a wrong token, and a body that is not even JSON", guard.Security{TokenSHA256: guard.TokenDigest(testToken)}, "POST",
			map[string]string{"authorization": "Bearer wrong-token-EXAMPLE"}, `{"InstanceIds":`, answer.CodeUnauthenticated, 401},
		{"GET by default", guard.Security{TokenSHA256: guard.TokenDigest(testToken)}, "GET", map[string]string{"authorization": bearer}, good, answer.CodeMethodNotAllowed, 405},
		{"text/plain", guard.Security{TokenSHA256: guard.TokenDigest(testToken)}, "POST", map[string]string{"authorization": bearer, "content-type": "text/plain"}, good, answer.CodeUnsupportedMediaType, 415},
		{"a project not allowed", guard.Security{TokenSHA256: guard.TokenDigest(testToken), AllowedProjectIDs: []int64{1045}}, "POST",
			map[string]string{"authorization": bearer}, good, answer.CodeProjectNotAllowed, 403},
		{"over MAX_INSTANCES", guard.Security{TokenSHA256: guard.TokenDigest(testToken), MaxInstances: 1}, "POST",
			map[string]string{"authorization": bearer}, `{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":3}`, answer.CodeLimitExceeded, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			f := &fakeCVM{}
			h := newTestHandler(f)
			h.Logger = logTo(&log)
			h.Security = tt.sec
			out, err := h.Invoke(context.Background(), apigwEvent(t, tt.method, tt.headers, tt.body))
			require.NoError(t, err)
			status, a := httpAnswer(t, out)
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Equal(t, tt.wantStatus, status)
			assert.Empty(t, f.calls, "no upstream call")
			assert.Empty(t, a.Batches)
			assert.NotContains(t, string(out), testToken)
			assert.NotContains(t, log.String(), testToken)
			if tt.wantCode == answer.CodeUnauthenticated {
				assert.Equal(t, unauthenticatedMessage, a.Message)
				assert.Nil(t, a.ProjectId, "nothing of the request is read before authentication")
				assert.Contains(t, log.String(), "HTTP request refused")
			}
		})
	}
}

func TestTheRefusalReasonGoesToTheLog(t *testing.T) {
	var log bytes.Buffer
	h := newTestHandler(&fakeCVM{})
	h.Logger = logTo(&log)
	out, err := h.Invoke(context.Background(), apigwEvent(t, "POST", nil, `{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	_, a := httpAnswer(t, out)
	assert.NotContains(t, a.Message, guard.EnvAPIToken)
	assert.Contains(t, log.String(), guard.EnvAPIToken, "how to configure a token is logged")
	assert.Contains(t, log.String(), "203.0.113.24", "with the caller's address")
}

// Timer and direct invocations need no token: SCF authorised their caller.
func TestNonHTTPEventsNeedNoToken(t *testing.T) {
	for name, payload := range map[string]string{
		"direct": `{"InstanceIds":["ins-00000001"],"ProjectId":3}`,
		"timer":  `{"Type":"Timer","TriggerName":"t","Time":"2024-05-20T02:00:00Z","Message":"InstanceIds=ins-00000001&ProjectId=3"}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeCVM{}
			out, err := newTestHandler(f).Invoke(context.Background(), []byte(payload))
			require.NoError(t, err)
			assert.Equal(t, answer.CodeSuccess, decodeAnswer(t, out).Code)
			assert.Len(t, f.calls, 1)
		})
	}
}

func TestAnonymousHTTPIsLoggedWithTheGatewayIdentity(t *testing.T) {
	var log bytes.Buffer
	f := &fakeCVM{}
	h := newTestHandler(f)
	h.Logger = logTo(&log)
	h.Security = guard.Security{AllowAnonymousHTTP: true}
	out, err := h.Invoke(context.Background(), apigwEvent(t, "POST", map[string]string{"x-anonymous-consumer": "false"}, `{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	status, a := httpAnswer(t, out)
	assert.Equal(t, 200, status)
	assert.Equal(t, answer.CodeSuccess, a.Code)
	assert.Len(t, f.calls, 1)
	assert.Contains(t, log.String(), "anonymous HTTP request")
	assert.Contains(t, log.String(), `"identity_secret_id":"AKIDgatewaykeyEXAMPLE"`)
	assert.Contains(t, log.String(), `"service_id":"service-6x2kq9lw"`)
}

// neverSend fails the test if anything is sent.
type neverSend struct{ t *testing.T }

func (n neverSend) Do(r *http.Request) (*http.Response, error) {
	n.t.Errorf("a dry run sent %s %s", r.Method, r.URL)
	return nil, fmt.Errorf("nothing may be sent")
}

func TestDryRunSignsEveryBatchAndSendsNothing(t *testing.T) {
	for _, method := range []signer.Method{signer.HmacSHA256, signer.TC3HmacSHA256} {
		t.Run(string(method), func(t *testing.T) {
			endpoint := cvm.LegacyEndpoint
			if method == signer.TC3HmacSHA256 {
				endpoint = cvm.API3Endpoint
			}
			client, err := cvm.New(endpoint, method, neverSend{t})
			require.NoError(t, err)
			f := &fakeCVM{}
			h := newTestHandler(f)
			h.Preparer = client
			h.Credentials = tokenCreds{}
			out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":`+idsJSON(150)+`,"ProjectId":3,"DryRun":true}`))
			require.NoError(t, err)
			a := decodeAnswer(t, out)

			assert.Empty(t, f.calls, "no call")
			assert.Equal(t, answer.CodeDryRun, a.Code)
			assert.Equal(t, 200, answer.HTTPStatus(a.Code))
			assert.Empty(t, a.RequestId)
			assert.Contains(t, a.Message, "2 ModifyInstancesProject call(s)")
			require.Len(t, a.Batches, 2)
			assert.EqualValues(t, ids(1, 100), a.Batches[0].InstanceIds)
			assert.EqualValues(t, ids(101, 150), a.Batches[1].InstanceIds)
			for _, b := range a.Batches {
				assert.Equal(t, answer.CodeDryRun, b.Code)
			}
			require.NotNil(t, a.DryRun)
			d := a.DryRun
			assert.Equal(t, "ModifyInstancesProject", d.Action)
			assert.Equal(t, endpoint, d.Endpoint)
			assert.Equal(t, string(method), d.SignatureMethod)
			assert.Equal(t, cvm.Version, d.Version)
			assert.Equal(t, "ap-guangzhou", d.Region)
			assert.Equal(t, "test", d.Credentials)
			require.Len(t, d.Batches, 2)
			if method == signer.TC3HmacSHA256 {
				var p cvm.ModifyInstancesProject
				require.NoError(t, json.Unmarshal(d.Batches[1].Payload, &p))
				assert.Equal(t, cvm.ModifyInstancesProject{InstanceIds: ids(101, 150), ProjectId: 3}, p)
			} else {
				assert.Equal(t, "ins-00000101", d.Batches[1].Params["InstanceIds.1"])
				assert.Equal(t, "3", d.Batches[1].Params["ProjectId"])
				assert.NotContains(t, d.Batches[0].Params, "Signature")
			}
			for _, s := range []string{"Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "session-token-EXAMPLE", "Signature=", "TC3-HMAC-SHA256 Credential"} {
				assert.NotContains(t, string(out), s)
			}
		})
	}
}

type tokenCreds struct{}

func (tokenCreds) Retrieve(context.Context) (credentials.Credentials, error) {
	return credentials.Credentials{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", Token: "session-token-EXAMPLE", Source: "test"}, nil
}

// DRY_RUN is the default; a request's DryRun wins when it says.
func TestDryRunSetting(t *testing.T) {
	tests := []struct {
		setting bool
		request string // the DryRun member, or ""
		dry     bool
	}{
		{false, ``, false},
		{true, ``, true},
		{false, `,"DryRun":true`, true},
		{true, `,"DryRun":false`, false},
		{true, `,"DryRun":true`, true},
		{false, `,"DryRun":false`, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.setting, tt.request), func(t *testing.T) {
			client, err := cvm.New(cvm.LegacyEndpoint, signer.HmacSHA256, neverSend{t})
			require.NoError(t, err)
			f := &fakeCVM{}
			h := newTestHandler(f)
			h.Preparer = client
			h.Security.DryRun = tt.setting
			out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3`+tt.request+`}`))
			require.NoError(t, err)
			a := decodeAnswer(t, out)
			if tt.dry {
				assert.Equal(t, answer.CodeDryRun, a.Code)
				assert.Empty(t, f.calls)
				assert.NotNil(t, a.DryRun)
			} else {
				assert.Equal(t, answer.CodeSuccess, a.Code)
				assert.Len(t, f.calls, 1)
				assert.Nil(t, a.DryRun)
				assert.NotContains(t, string(out), `"DryRun"`)
			}
		})
	}
}

// A dry run still needs credentials, so it proves the configuration.
func TestDryRunNeedsCredentials(t *testing.T) {
	f := &fakeCVM{}
	h := newTestHandler(f)
	h.Credentials = staticCreds{err: fmt.Errorf("env: not set: %w", credentials.ErrNotFound)}
	out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3,"DryRun":true}`))
	require.NoError(t, err)
	assert.Equal(t, answer.CodeMissingCredentials, decodeAnswer(t, out).Code)
}

// A panic's message may hold secrets: the log gets it masked, the caller
// not at all.
func TestAPanicIsLoggedWithItsSecretsMasked(t *testing.T) {
	const (
		apiToken = "api-token-for-handler-tests-EXAMPLE"
		sent     = "Bearer " + apiToken
	)
	secrets := []string{"Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "session-token-EXAMPLE", apiToken, "c2lnbmF0dXJlLUVYQU1QTEU="}
	var log bytes.Buffer
	// VERIFY=false: the fake lists nothing, and an instance not found is not sent.
	env := map[string]string{guard.EnvAPIToken: apiToken, credentials.EnvRegion: "ap-guangzhou", "VERIFY": "false"}
	h := NewFromEnv(func(k string) string { return env[k] }, logTo(&log))
	require.Nil(t, h.ConfigErr)
	h.Credentials = tokenCreds{}
	h.CVM = &fakeCVM{answerFn: func(cvm.ModifyInstancesProject) (cvm.Result, error) {
		panic(fmt.Sprintf("key %s token %s auth %q form Signature=%s", secrets[0], secrets[1], sent, secrets[3]))
	}}
	out, err := h.Invoke(context.Background(), apigwEvent(t, "POST", map[string]string{"Authorization": sent}, `{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	status, a := httpAnswer(t, out)
	assert.Equal(t, 500, status)
	assert.Equal(t, answer.CodeInternalError, a.Code)
	require.Contains(t, log.String(), `"msg":"panic"`)
	assert.Contains(t, log.String(), guard.Redacted)
	for _, s := range secrets {
		assert.NotContains(t, log.String(), s)
		assert.NotContains(t, string(out), s)
	}
}

// A malformed guard setting is a configuration error, answered to every
// invocation, every kind, with no call; the message names the variable.
func TestNewFromEnvRefusesMalformedSecuritySettings(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{guard.EnvAllowedProjectIDs: "5,x"}, []string{guard.EnvAllowedProjectIDs}},
		{map[string]string{guard.EnvMaxInstances: "100001"}, []string{guard.EnvMaxInstances}},
		{map[string]string{guard.EnvAPIToken: "short"}, []string{guard.EnvAPIToken}},
		{map[string]string{guard.EnvDryRun: "perhaps", config.EnvSignatureMethod: "md5"}, []string{guard.EnvDryRun, config.EnvSignatureMethod}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			var log bytes.Buffer
			h := NewFromEnv(func(k string) string { return tt.env[k] }, logTo(&log))
			require.NotNil(t, h.ConfigErr)
			assert.Equal(t, answer.CodeInvalidConfig, h.ConfigErr.Code)
			assert.NotContains(t, h.ConfigErr.Message, "\n")
			for _, v := range tt.want {
				assert.Contains(t, h.ConfigErr.Message, v)
				assert.Contains(t, log.String(), v)
			}
			assert.NotContains(t, log.String()+h.ConfigErr.Message, `"short"`, "a token is never repeated")
			f := &fakeCVM{}
			h.CVM, h.Credentials = f, staticCreds{}
			for _, payload := range [][]byte{
				[]byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`),
				[]byte(`{"Type":"Timer","Message":"InstanceIds=ins-00000001&ProjectId=3"}`),
				apigwEvent(t, "POST", nil, `{"InstanceIds":["ins-00000001"],"ProjectId":3}`),
			} {
				out, err := h.Invoke(context.Background(), payload)
				require.NoError(t, err)
				assert.Contains(t, string(out), answer.CodeInvalidConfig)
			}
			assert.Empty(t, f.calls)
		})
	}
}

func TestNewFromEnvReadsTheGuards(t *testing.T) {
	var log bytes.Buffer
	env := map[string]string{guard.EnvAPITokenSHA256: strings.ToUpper(testTokenDigestHex()), guard.EnvAllowGET: "true", guard.EnvAllowedProjectIDs: "0,1045", guard.EnvMaxInstances: "500", guard.EnvDryRun: "true"}
	h := NewFromEnv(func(k string) string { return env[k] }, logTo(&log))
	require.Nil(t, h.ConfigErr)
	assert.Equal(t, guard.Security{TokenSHA256: guard.TokenDigest(testToken), AllowGET: true, AllowedProjectIDs: []int64{0, 1045}, MaxInstances: 500, DryRun: true}, h.Security)
	assert.Same(t, h.CVM.(*cvm.Client), h.Preparer.(*cvm.Client), "a dry run signs with the client that would send")

	_, err := h.Invoke(context.Background(), []byte(`{}`))
	require.NoError(t, err)
	assert.Contains(t, log.String(), `"http_auth":"bearer token"`)
	assert.Contains(t, log.String(), `"max_instances":500`)
	assert.NotContains(t, strings.ToLower(log.String()), testTokenDigestHex(), "not even the digest is logged")
}
