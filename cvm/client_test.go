package cvm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/signer"
)

// fixedKeys are a Provider of the keys a test gives.
type fixedKeys credentials.Credentials

func (k fixedKeys) Retrieve(context.Context) (credentials.Credentials, error) {
	return credentials.Credentials(k), nil
}

var exampleCreds = fixedKeys{
	SecretID:  "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
	SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
	Source:    "env",
}

// doerFunc answers requests in-process and keeps the last one.
type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func answerWith(status int, contentType, body string) doerFunc {
	return func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
}

func newTestClient(t *testing.T, endpoint string, method signer.Method, d credentials.Doer) *Client {
	t.Helper()
	c, err := New(endpoint, method, d)
	require.NoError(t, err)
	c.Clock = func() time.Time { return time.Unix(1465185768, 0) }
	c.Nonce = func() uint32 { return 11886 }
	c.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return c
}

func TestV1RequestIsSignedForm(t *testing.T) {
	tests := []struct {
		endpoint  string
		method    signer.Method
		legacy    bool
		firstName string
	}{
		{LegacyEndpoint, signer.HmacSHA256, true, "InstanceIds.1"},
		{LegacyEndpoint, signer.HmacSHA1, true, "InstanceIds.1"},
		{API3Endpoint, signer.HmacSHA256, false, "InstanceIds.0"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+" "+string(tt.method), func(t *testing.T) {
			var got *http.Request
			var body []byte
			c := newTestClient(t, tt.endpoint, tt.method, doerFunc(func(r *http.Request) (*http.Response, error) {
				got = r
				body, _ = io.ReadAll(r.Body)
				return answerWith(200, "application/json", `{"Response":{"RequestId":"req-1"}}`)(r)
			}))
			creds := exampleCreds
			creds.Token = "session-token"
			res, err := c.Call(context.Background(), creds, "ap-guangzhou",
				ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy", "ins-5d8a23rs"}, ProjectId: 1045}, nil)
			require.NoError(t, err)
			assert.Equal(t, Result{RequestID: "req-1", Latency: res.Latency, Attempts: 1}, res)

			require.Equal(t, http.MethodPost, got.Method)
			assert.Equal(t, "application/x-www-form-urlencoded", got.Header.Get("Content-Type"))
			form, err := url.ParseQuery(string(body))
			require.NoError(t, err)
			assert.Equal(t, "ins-r8hr2upy", form.Get(tt.firstName), "list numbering")
			assert.Equal(t, "1045", form.Get("ProjectId"))
			assert.Equal(t, "2017-03-12", form.Get("Version"))
			assert.Equal(t, "session-token", form.Get("Token"), "the token travels with its key")
			assert.Equal(t, "1465185768", form.Get("Timestamp"))
			assert.Equal(t, "11886", form.Get("Nonce"))

			// The signature is the one the signer computes over all other params.
			params := map[string]string{}
			for k := range form {
				if k != "Signature" {
					params[k] = form.Get(k)
				}
			}
			u, _ := url.Parse(tt.endpoint)
			want, err := signer.SignV1(signer.V1Request{HTTPMethod: "POST", Host: u.Host, Path: u.Path, Params: params, Legacy: tt.legacy}, tt.method, exampleCreds.SecretKey)
			require.NoError(t, err)
			assert.Equal(t, want, form.Get("Signature"))
		})
	}
}

func TestTC3RequestHeadersAndPayload(t *testing.T) {
	var got *http.Request
	var body []byte
	c := newTestClient(t, API3Endpoint, signer.TC3HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		body, _ = io.ReadAll(r.Body)
		return answerWith(200, "application/json", `{"Response":{"RequestId":"req-2"}}`)(r)
	}))
	creds := exampleCreds
	creds.Token = "session-token"
	_, err := c.Call(context.Background(), creds, "ap-shanghai", ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy"}, ProjectId: 0}, nil)
	require.NoError(t, err)

	assert.JSONEq(t, `{"InstanceIds":["ins-r8hr2upy"],"ProjectId":0}`, string(body))
	h := got.Header
	assert.Equal(t, "ModifyInstancesProject", h.Get("X-TC-Action"))
	assert.Equal(t, "2017-03-12", h.Get("X-TC-Version"))
	assert.Equal(t, "ap-shanghai", h.Get("X-TC-Region"))
	assert.Equal(t, "1465185768", h.Get("X-TC-Timestamp"))
	assert.Equal(t, "session-token", h.Get("X-TC-Token"))
	want := signer.TC3Sign(signer.TC3Request{
		HTTPMethod: "POST", Path: "/", Host: "cvm.tencentcloudapi.com", ContentType: h.Get("Content-Type"),
		Payload: body, Service: "cvm", Timestamp: 1465185768,
	}, creds.SecretID, creds.SecretKey).Authorization
	assert.Equal(t, want, h.Get("Authorization"))
}

func TestEachCallIsSignedAnew(t *testing.T) {
	var sigs []string
	c := newTestClient(t, LegacyEndpoint, signer.HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(b))
		sigs = append(sigs, f.Get("Nonce")+"/"+f.Get("Signature"))
		return answerWith(200, "application/json", `{"Response":{"RequestId":"r"}}`)(r)
	}))
	c.Nonce = randomNonce
	for range 3 {
		_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy"}, ProjectId: 1}, nil)
		require.NoError(t, err)
	}
	assert.Len(t, map[string]bool{sigs[0]: true, sigs[1]: true, sigs[2]: true}, 3, "nonce and signature differ per request")
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(LegacyEndpoint, signer.TC3HmacSHA256, nil)
	assert.ErrorContains(t, err, "legacy endpoint")
	_, err = New("cvm.tencentcloudapi.com", signer.HmacSHA256, nil)
	assert.ErrorContains(t, err, "not an http(s) URL")
	_, err = New("ftp://x/", signer.HmacSHA256, nil)
	assert.Error(t, err)
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name    string
		doer    doerFunc
		want    Result
		wantErr error
	}{
		{"API 3.0 success", answerWith(200, "application/json", `{"Response":{"RequestId":"6EF60BEC-0242-43AF-BB20-270359FB54A7"}}`),
			Result{RequestID: "6EF60BEC-0242-43AF-BB20-270359FB54A7"}, nil},
		{"API 3.0 error", answerWith(200, "application/json", `{"Response":{"Error":{"Code":"InvalidInstanceId.NotFound","Message":"The instance ID [\"ins-aaaa0001\"] does not exist."},"RequestId":"r-2"}}`),
			Result{RequestID: "r-2"}, &APIError{Action: "ModifyInstancesProject", StatusCode: 200, RequestID: "r-2", Code: "InvalidInstanceId.NotFound", Message: `The instance ID ["ins-aaaa0001"] does not exist.`}},
		{"old shape error", answerWith(200, "application/json", `{"code":4100,"message":"signature failed","codeDesc":"AuthFailure.SignatureFailure"}`),
			Result{}, &APIError{Action: "ModifyInstancesProject", StatusCode: 200, Code: "AuthFailure.SignatureFailure", Message: "signature failed"}},
		{"old shape error without codeDesc", answerWith(200, "application/json", `{"code":4000,"message":"bad"}`),
			Result{}, &APIError{Action: "ModifyInstancesProject", StatusCode: 200, Code: "Legacy.4000", Message: "bad"}},
		{"old shape success", answerWith(200, "application/json", `{"code":0,"message":"","codeDesc":"Success"}`), Result{}, nil},
		{"HTML 502", answerWith(502, "text/html", `<html>bad gateway</html>`), Result{}, ErrBadResponse},
		{"HTML 403", answerWith(403, "text/html", `<html>bad gateway</html>`), Result{}, ErrBadResponse},
		{"not JSON", answerWith(200, "application/json", `{"Response":`), Result{}, ErrBadResponse},
		{"JSON of another shape", answerWith(200, "application/json", `{"hello":1}`), Result{}, ErrBadResponse},
		{"connection refused", func(*http.Request) (*http.Response, error) {
			return nil, &url.Error{Op: "Post", URL: "https://cvm.api.qcloud.com/v2/index.php", Err: syscall.ECONNREFUSED}
		}, Result{}, ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, LegacyEndpoint, signer.HmacSHA256, tt.doer)
			res, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy"}, ProjectId: 1}, nil)
			var apiErr *APIError
			switch {
			case errors.As(tt.wantErr, &apiErr):
				var got *APIError
				require.ErrorAs(t, err, &got)
				assert.Equal(t, apiErr, got)
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), "bad gateway", "bodies are described, not echoed")
				return
			default:
				require.NoError(t, err)
			}
			res.Latency = 0
			tt.want.Attempts = 1
			assert.Equal(t, tt.want, res)
		})
	}
}

func TestDeadlineIsReportedAsSuch(t *testing.T) {
	c := newTestClient(t, LegacyEndpoint, signer.HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: r.Context().Err()}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := c.Call(ctx, exampleCreds, "ap-guangzhou", ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy"}, ProjectId: 1}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, errors.Is(err, ErrUnreachable))
}

func TestDecodesResponseIntoOut(t *testing.T) {
	c := newTestClient(t, API3Endpoint, signer.TC3HmacSHA256, answerWith(200, "application/json", `{"Response":{"TotalCount":2,"RequestId":"r"}}`))
	var out struct{ TotalCount int }
	_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy"}}, &out)
	require.NoError(t, err)
	assert.Equal(t, 2, out.TotalCount)
}

func TestLogLineHasNoSecret(t *testing.T) {
	var logs bytes.Buffer
	var sent []byte
	c := newTestClient(t, LegacyEndpoint, signer.HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
		sent, _ = io.ReadAll(r.Body)
		return answerWith(200, "application/json", `{"Response":{"RequestId":"req-9"}}`)(r)
	}))
	c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	creds := exampleCreds
	creds.Token = "session-token-secret"
	_, err := c.Call(context.Background(), creds, "ap-guangzhou", ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy", "ins-5d8a23rs"}, ProjectId: 1}, nil)
	require.NoError(t, err)

	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line), "one JSON line")
	assert.Equal(t, "ModifyInstancesProject", line["action"])
	assert.Equal(t, "req-9", line["upstream_request_id"])
	assert.Equal(t, "Success", line["code"])
	assert.EqualValues(t, 2, line["batch_size"])
	assert.Equal(t, "env", line["credential_source"], "which provider's keys signed the call")
	form, _ := url.ParseQuery(string(sent))
	for _, secret := range []string{creds.SecretKey, creds.Token, form.Get("Signature")} {
		assert.NotContains(t, logs.String(), secret)
	}
}
