package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/run"
	"scf-cvm-project/signer"
)

// fakeCVM records calls and answers them with answerFn. It never asks
// for the keys: the handler retrieves them once before any call, and what
// a real client does with them is tested against one (credsDoer).
type fakeCVM struct {
	mu       sync.Mutex
	calls    []cvm.ModifyInstancesProject
	listings int // calls of other actions
	answerFn func(cvm.ModifyInstancesProject) (cvm.Result, error)
}

// discard is the Logger of a Handler a test builds by hand.
var discard = slog.New(slog.DiscardHandler)

func (f *fakeCVM) Call(_ context.Context, _ credentials.Provider, _ string, a cvm.Action, _ any) (cvm.Result, error) {
	m, ok := a.(cvm.ModifyInstancesProject)
	if !ok { // a listing (the tag rules): it finds nothing
		f.mu.Lock()
		f.listings++
		f.mu.Unlock()
		return cvm.Result{RequestID: "list"}, nil
	}
	f.mu.Lock()
	f.calls = append(f.calls, m)
	n := len(f.calls)
	f.mu.Unlock()
	if f.answerFn != nil {
		return f.answerFn(m)
	}
	return cvm.Result{RequestID: fmt.Sprintf("req-%d", n)}, nil
}

// A made-up API token.
const testToken = "test-token-4f1c9a0e7b2d6c83-EXAMPLE"

// testTokenDigestHex is what printf %s "$TOKEN" | sha256sum prints for testToken.
func testTokenDigestHex() string {
	sum := sha256.Sum256([]byte(testToken))
	return hex.EncodeToString(sum[:])
}

type staticCreds struct{ err error }

func (s staticCreds) Retrieve(context.Context) (credentials.Credentials, error) {
	return credentials.Credentials{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", Source: "test"}, s.err
}

func newTestHandler(f *fakeCVM) *Handler {
	return &Handler{Runner: run.Runner{Logger: discard, CVM: f}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou", AnswerMargin: 50 * time.Millisecond}
}

func decodeAnswer(t *testing.T, b []byte) answer.Answer {
	t.Helper()
	var a answer.Answer
	require.NoError(t, json.Unmarshal(b, &a))
	return a
}

// ids returns ins-<from> .. ins-<to>, eight digits each.
func ids(from, to int) []string {
	out := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-%08d", i))
	}
	return out
}

func idsJSON(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"ins-%08d"`, i+1)
	}
	return "[" + strings.Join(ids, ",") + "]"
}

func TestInvokeSplitsIntoBatchesOfAHundred(t *testing.T) {
	for _, n := range []int{1, 99, 100, 101, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := &fakeCVM{}
			out, err := newTestHandler(f).Invoke(context.Background(), []byte(`{"InstanceIds":`+idsJSON(n)+`,"ProjectId":3}`))
			require.NoError(t, err)
			a := decodeAnswer(t, out)
			assert.Equal(t, answer.CodeSuccess, a.Code)
			assert.Equal(t, "req-1", a.RequestId)
			wantBatches := (n + 99) / 100
			require.Len(t, f.calls, wantBatches)
			require.Len(t, a.Batches, wantBatches)
			total := 0
			for i, c := range f.calls {
				assert.LessOrEqual(t, len(c.InstanceIds), 100)
				assert.Equal(t, int64(3), c.ProjectId)
				assert.EqualValues(t, c.InstanceIds, a.Batches[i].InstanceIds)
				total += len(c.InstanceIds)
			}
			assert.Equal(t, n, total)
		})
	}
}

func TestInvokeRecoversFromAPanic(t *testing.T) {
	f := &fakeCVM{answerFn: func(cvm.ModifyInstancesProject) (cvm.Result, error) {
		panic("secret-in-panic Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
	}}
	out, err := newTestHandler(f).Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	assert.Equal(t, answer.CodeInternalError, a.Code)
	assert.NotContains(t, string(out), "secret-in-panic")
	assert.NotContains(t, string(out), "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
}

func TestInvokeRecoversFromAPanicInsideAnHTTPAnswer(t *testing.T) {
	f := &fakeCVM{answerFn: func(cvm.ModifyInstancesProject) (cvm.Result, error) { panic("boom") }}
	ev := `{"requestContext":{"requestId":"r"},"httpMethod":"POST","path":"/move","headers":{"content-type":"application/json","authorization":"Bearer ` + testToken + `"},"body":"{\"InstanceIds\":[\"ins-00000001\"],\"ProjectId\":3}"}`
	h := newTestHandler(f)
	h.Security.TokenSHA256 = guard.TokenDigest(testToken)
	out, err := h.Invoke(context.Background(), []byte(ev))
	require.NoError(t, err)
	var resp struct {
		StatusCode int
		Body       string
	}
	require.NoError(t, json.Unmarshal(out, &resp))
	assert.Equal(t, 500, resp.StatusCode)
	assert.Equal(t, answer.CodeInternalError, decodeAnswer(t, []byte(resp.Body)).Code)
}

func TestNoBatchStartsAfterTheDeadline(t *testing.T) {
	f := &fakeCVM{answerFn: func(cvm.ModifyInstancesProject) (cvm.Result, error) {
		time.Sleep(80 * time.Millisecond)
		return cvm.Result{RequestID: "slow"}, nil
	}}
	h := newTestHandler(f)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	out, err := h.Invoke(ctx, []byte(`{"InstanceIds":`+idsJSON(500)+`,"ProjectId":3}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	assert.Less(t, len(f.calls), 5, "batches are not sent once the deadline is near")
	assert.Equal(t, answer.CodeDeadlineExceeded, a.Code)
	last := a.Batches[len(a.Batches)-1]
	assert.Equal(t, answer.CodeDeadlineExceeded, last.Code)
	assert.Empty(t, last.RequestId)
	assert.Len(t, a.Batches, 5, "every batch is reported, sent or not")
}

func TestConfigErrorIsAnsweredEveryTime(t *testing.T) {
	f := &fakeCVM{}
	h := newTestHandler(f)
	h.ConfigErr = &answer.Error{Code: answer.CodeInvalidConfig, Message: "SIGNATURE_METHOD: bad"}
	out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	assert.Equal(t, answer.CodeInvalidConfig, decodeAnswer(t, out).Code)
	assert.Empty(t, f.calls)
}

func TestNewFromEnvConfiguration(t *testing.T) {
	tests := []struct {
		env          map[string]string
		wantEndpoint string
		wantMethod   signer.Method
		wantErr      string
	}{
		{map[string]string{}, cvm.API3Endpoint, signer.TC3HmacSHA256, ""},
		{map[string]string{config.EnvSignatureMethod: "HmacSHA256"}, cvm.API3Endpoint, signer.HmacSHA256, ""},
		{map[string]string{config.EnvEndpoint: cvm.LegacyEndpoint}, cvm.LegacyEndpoint, signer.HmacSHA256, ""},
		{map[string]string{config.EnvSignatureMethod: "TC3-HMAC-SHA256"}, cvm.API3Endpoint, signer.TC3HmacSHA256, ""},
		{map[string]string{config.EnvSignatureMethod: "HmacSHA1", config.EnvEndpoint: "https://cvm.tencentcloudapi.com/"}, cvm.API3Endpoint, signer.HmacSHA1, ""},
		{map[string]string{config.EnvSignatureMethod: "md5"}, "", "", "SIGNATURE_METHOD"},
		{map[string]string{config.EnvSignatureMethod: "TC3-HMAC-SHA256", config.EnvEndpoint: cvm.LegacyEndpoint}, "", "", "legacy endpoint"},
		{map[string]string{config.EnvEndpoint: "not a url"}, "", "", "CVM_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			h := NewFromEnv(func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				require.NotNil(t, h.ConfigErr)
				assert.Equal(t, answer.CodeInvalidConfig, h.ConfigErr.Code)
				assert.Contains(t, h.ConfigErr.Message, tt.wantErr)
				return
			}
			require.Nil(t, h.ConfigErr)
			c := h.CVM.(*cvm.Client)
			assert.Equal(t, tt.wantEndpoint, c.Endpoint())
			assert.Equal(t, tt.wantMethod, c.Method())
		})
	}
}

// stubTransport answers every request in-process, as the API would.
type stubTransport struct{}

func (stubTransport) Do(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"Response":{"RequestId":"6EF60BEC-0242-43AF-BB20-270359FB54A7"}}`))}, nil
}

// BenchmarkInvokeHundredIDs measures the handler's own work for a 100-ID
// request: decoding, validation, signing, building the HTTP request and the
// answer, with the network replaced by an in-process transport.
func BenchmarkInvokeHundredIDs(b *testing.B) {
	request := `{"InstanceIds":` + idsJSON(100) + `,"ProjectId":1045,"Region":"ap-guangzhou"}`
	quoted, err := json.Marshal(request)
	require.NoError(b, err)
	payloads := map[string]string{
		"direct": request,
		"timer":  `{"Type":"Timer","TriggerName":"t","Time":"2024-05-20T02:00:00Z","Message":` + string(quoted) + `}`,
		"apigw": `{"requestContext":{"serviceId":"service-6x2kq9lw","path":"/move","httpMethod":"POST","requestId":"r","identity":{},"sourceIp":"203.0.113.24","stage":"release"},` +
			`"headers":{"authorization":"Bearer ` + testToken + `","content-type":"application/json","host":"service-6x2kq9lw-1250000000.gz.apigw.tencentcs.com","user-agent":"curl/8.4.0","x-api-requestid":"r"},` +
			`"body":` + string(quoted) + `,"path":"/move","httpMethod":"POST","queryString":{},"queryStringParameters":{},"pathParameters":{},"headerParameters":{},"isBase64Encoded":false}`,
	}
	for _, method := range []signer.Method{signer.HmacSHA256, signer.TC3HmacSHA256} {
		for _, kind := range []string{"direct", "timer", "apigw"} {
			b.Run(string(method)+"/"+kind, func(b *testing.B) {
				endpoint := cvm.LegacyEndpoint
				if method == signer.TC3HmacSHA256 {
					endpoint = cvm.API3Endpoint
				}
				client, err := cvm.New(endpoint, method, stubTransport{})
				require.NoError(b, err)
				h := &Handler{Runner: run.Runner{Logger: discard, CVM: client}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou", Security: guard.Security{TokenSHA256: guard.TokenDigest(testToken)}}
				payload := []byte(payloads[kind])
				ctx := context.Background()
				out, err := h.Invoke(ctx, payload)
				require.NoError(b, err)
				require.Contains(b, string(out), `Success`)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := h.Invoke(ctx, payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDryRunPrivateEndpoint measures a dry run of 100 ids against an
// endpoint given by its address (a private gateway in CVM_ENDPOINT): the
// answer names it, so the masking of socket addresses runs on every answer.
func BenchmarkDryRunPrivateEndpoint(b *testing.B) {
	client, err := cvm.New("http://10.0.0.1:8080/", signer.TC3HmacSHA256, stubTransport{})
	require.NoError(b, err)
	h := &Handler{Runner: run.Runner{Logger: discard, CVM: client, Preparer: client}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou"}
	payload := []byte(`{"InstanceIds":` + idsJSON(100) + `,"ProjectId":1045,"DryRun":true}`)
	out, err := h.Invoke(context.Background(), payload)
	require.NoError(b, err)
	require.Contains(b, string(out), `DryRunOperation`)
	require.NotContains(b, string(out), "10.0.0.1:8080", "the address is masked")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}

// A panic in an invocation nobody reads (a timer) is unfinished work: a
// function error, so that SCF retries it; a direct invocation that is read
// gets the InternalError answer.
func TestAPanicInAnUnreadInvocationIsAFunctionError(t *testing.T) {
	f := &fakeCVM{answerFn: func(cvm.ModifyInstancesProject) (cvm.Result, error) { panic("boom") }}
	timer := `{"Type":"Timer","TriggerName":"t","Time":"2026-11-30T00:00:00Z","Message":"{\"InstanceIds\":[\"ins-00000001\"],\"ProjectId\":3}"}`
	out, err := newTestHandler(f).Invoke(context.Background(), []byte(timer))
	var uerr *answer.UnfinishedError
	require.ErrorAs(t, err, &uerr)
	assert.Nil(t, out)
	assert.Equal(t, answer.CodeInternalError, uerr.Code)
	assert.NotContains(t, err.Error(), "boom", "the panic's message stays in the log")

	out, err = newTestHandler(f).Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	assert.Equal(t, answer.CodeInternalError, decodeAnswer(t, out).Code)

	// A panic outside any batch (here in a listing) reaches Invoke's recover.
	h := &Handler{Runner: run.Runner{Logger: discard, CVM: panickyLister{}}, Rules: []rules.Rule{{Key: "env", ProjectID: 7}}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou"}
	reconcile := `{"Type":"Timer","TriggerName":"t","Time":"2026-11-30T00:00:00Z","Message":"{\"Reconcile\":true}"}`
	out, err = h.Invoke(context.Background(), []byte(reconcile))
	require.ErrorAs(t, err, &uerr)
	assert.Nil(t, out)
}

// Warm, which main runs at a cold start beside the runtime's start, is safe
// beside an invocation (the race detector watches) and changes no answer.
func TestWarmBesideAnInvocation(t *testing.T) {
	payload := []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1045}`)
	want, err := newTestHandler(&fakeCVM{}).Invoke(context.Background(), payload)
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(Warm)
	got, err := newTestHandler(&fakeCVM{}).Invoke(context.Background(), payload)
	wg.Wait()
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
	assert.Contains(t, string(got), `"Code":"Success"`)
}

// An invocation's secrets (its Authorization header and token) extend a
// copy of the Handler's list: never the list, nor its spare capacity, where
// the next invocation would find them or a concurrent one overwrite them.
func TestAnInvocationsSecretsStayItsOwn(t *testing.T) {
	h := newTestHandler(&fakeCVM{})
	h.secrets = append(make([]string, 0, 8), "a configured secret")
	event := `{"httpMethod":"POST","headers":{"content-type":"application/json","authorization":"Bearer the-caller-token-EXAMPLE"},"body":"{}","path":"/","queryString":{}}`
	_, err := h.Invoke(context.Background(), []byte(event))
	require.NoError(t, err)
	assert.Equal(t, []string{"a configured secret"}, h.secrets)
	assert.NotContains(t, h.secrets[:cap(h.secrets)], "the-caller-token-EXAMPLE")
	assert.NotContains(t, h.secrets[:cap(h.secrets)], "Bearer the-caller-token-EXAMPLE")
}
