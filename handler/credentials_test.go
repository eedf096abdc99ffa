package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/run"
	"scf-cvm-project/signer"
)

// providerFunc is a credentials.Provider from a function.
type providerFunc func(context.Context) (credentials.Credentials, error)

func (f providerFunc) Retrieve(ctx context.Context) (credentials.Credentials, error) { return f(ctx) }

// credsDoer answers every call as the API would, after delay, and records
// the SecretId each request was signed with and whether those keys had
// expired when it was sent. It knows when keys expire from issue, which
// the test's provider calls for every set it hands out.
type credsDoer struct {
	delay time.Duration

	mu      sync.Mutex
	expires map[string]time.Time // SecretId → when those keys expire
	ids     []string
	expired int
}

func (d *credsDoer) issue(c credentials.Credentials) credentials.Credentials {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.expires == nil {
		d.expires = map[string]time.Time{}
	}
	d.expires[c.SecretID] = c.Expires
	return c
}

func (d *credsDoer) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	id := form.Get("SecretId")
	d.mu.Lock()
	d.ids = append(d.ids, id)
	if exp, ok := d.expires[id]; !ok || !time.Now().Before(exp) {
		d.expired++
	}
	n := len(d.ids)
	d.mu.Unlock()
	time.Sleep(d.delay)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(fmt.Sprintf(`{"Response":{"RequestId":"req-%d"}}`, n)))}, nil
}

func TestCredentialFailuresAreAnsweredWithoutACall(t *testing.T) {
	stsErr := fmt.Errorf("%w: role qcs::cam::uin/100000000001:roleName/mover: STS sts.tencentcloudapi.com: %w", credentials.ErrAssumeRole,
		&credentials.STSError{Code: "UnauthorizedOperation", Message: "not allowed", RequestID: "5d2e1b2c-sts"})
	tests := []struct {
		name       string
		err        error
		wantCode   string
		wantStatus int
		wantInMsg  []string
	}{
		{"nothing anywhere", fmt.Errorf("%w (tried env: TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY not set; cvm-role: no instance role: metadata metadata.tencentyun.com answered HTTP 404)", credentials.ErrNotFound),
			answer.CodeMissingCredentials, 500, []string{"env: TENCENTCLOUD_SECRETID", "cvm-role: no instance role"}},
		{"STS refused", stsErr, answer.CodeAssumeRoleFailed, 502, []string{"UnauthorizedOperation", "5d2e1b2c-sts", "roleName/mover"}},
		{"STS unreachable", fmt.Errorf("%w: role r: STS 127.0.0.1:1: connection refused", credentials.ErrAssumeRole), answer.CodeAssumeRoleFailed, 502, []string{"connection refused"}},
		{"the instance role's keys unreadable", fmt.Errorf("%w: role mover at metadata metadata.tencentyun.com: HTTP 500", credentials.ErrMetadataUnreachable),
			answer.CodeMetadataUnreachable, 502, []string{"role mover", "HTTP 500"}},
		{"the deadline while waiting for another invocation's refresh", fmt.Errorf("waiting for credentials: %w", context.DeadlineExceeded), answer.CodeDeadlineExceeded, 504, []string{"deadline"}},
		{"anything else", fmt.Errorf("surprise"), answer.CodeMissingCredentials, 500, []string{"surprise"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCVM{}
			h := newTestHandler(f)
			h.Security.AllowAnonymousHTTP = true // the event sends no token
			h.Credentials = providerFunc(func(context.Context) (credentials.Credentials, error) { return credentials.Credentials{}, tt.err })
			ev := `{"requestContext":{"serviceId":"s"},"httpMethod":"POST","path":"/move","headers":{"content-type":"application/json"},"body":"{\"InstanceIds\":[\"ins-00000001\"],\"ProjectId\":3}"}`
			out, err := h.Invoke(context.Background(), []byte(ev))
			require.NoError(t, err)
			var resp struct {
				StatusCode int
				Body       string
			}
			require.NoError(t, json.Unmarshal(out, &resp))
			a := decodeAnswer(t, []byte(resp.Body))
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantStatus, answer.HTTPStatus(a.Code))
			for _, w := range tt.wantInMsg {
				assert.Contains(t, a.Message, w)
			}
			assert.Empty(t, a.CredentialSource, "no credentials, no source")
			assert.NotContains(t, resp.Body, "CredentialSource")
			assert.EqualValues(t, []string{"ins-00000001"}, a.InstanceIds)
			assert.Empty(t, f.calls, "no CVM call without credentials")
		})
	}
}

func TestAnswerAndLogsNameTheCredentialSource(t *testing.T) {
	const token, key = "made-up-session-token-xyz", "TmpKeyGu5t9xGARNpq86cd98joQYEXAMPLE"
	var logs bytes.Buffer
	f := &fakeCVM{}
	h := newTestHandler(f)
	h.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	h.Credentials = providerFunc(func(context.Context) (credentials.Credentials, error) {
		return credentials.Credentials{SecretID: "AKIDtmp", SecretKey: key, Token: token,
			Source: "assumed-role:qcs::cam::uin/100000000001:roleName/mover", Expires: time.Now().Add(time.Hour)}, nil
	})
	out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	assert.Equal(t, answer.CodeSuccess, a.Code)
	assert.Equal(t, "assumed-role:qcs::cam::uin/100000000001:roleName/mover", a.CredentialSource)
	assert.Contains(t, string(out), `"CredentialSource":"assumed-role:qcs::cam::uin/100000000001:roleName/mover"`)

	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line))
	assert.Equal(t, "assumed-role:qcs::cam::uin/100000000001:roleName/mover", line["credential_source"])
	for _, secret := range []string{key, token} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, string(out), secret)
	}
}

// Keys that expire during a long invocation are replaced before the next
// batch, never sent expired.
func TestKeysExpiringBetweenBatchesAreReplaced(t *testing.T) {
	tests := []struct {
		name      string
		second    func() (credentials.Credentials, error) // what the provider gives once the first keys expired
		wantCodes []string
		wantIDs   []string
	}{
		{"fresh keys", func() (credentials.Credentials, error) {
			return credentials.Credentials{SecretID: "AKIDsecond", SecretKey: "k2", Token: "t2", Source: "cvm-role:r", Expires: time.Now().Add(time.Hour)}, nil
		}, []string{answer.CodeSuccess, answer.CodeSuccess, answer.CodeSuccess}, []string{"AKIDsecond", "AKIDsecond", "AKIDsecond"}}, // the first would expire during the attempt: renewed before it
		{"the refresh fails", func() (credentials.Credentials, error) {
			return credentials.Credentials{}, fmt.Errorf("%w: role r at metadata m: HTTP 500", credentials.ErrMetadataUnreachable)
		}, []string{answer.CodeSuccess, answer.CodeMetadataUnreachable, answer.CodeMetadataUnreachable}, []string{"AKIDfirst"}},
		{"the provider gives expired keys", func() (credentials.Credentials, error) {
			return credentials.Credentials{SecretID: "AKIDstale", SecretKey: "k", Token: "t", Source: "cvm-role:r", Expires: time.Now().Add(-time.Second)}, nil
		}, []string{answer.CodeSuccess, answer.CodeMissingCredentials, answer.CodeMissingCredentials}, []string{"AKIDfirst"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The client refuses expired keys; the handler must give it keys
			// that renew.
			f := &credsDoer{delay: 60 * time.Millisecond}
			client, err := cvm.New(cvm.LegacyEndpoint, signer.HmacSHA256, f)
			require.NoError(t, err)
			h := &Handler{Runner: run.Runner{Logger: discard, CVM: client}, DefaultRegion: "ap-guangzhou"}
			var mu sync.Mutex
			asked := 0
			h.Credentials = providerFunc(func(context.Context) (credentials.Credentials, error) {
				mu.Lock()
				defer mu.Unlock()
				asked++
				if asked == 1 { // expire during the first batch
					return f.issue(credentials.Credentials{SecretID: "AKIDfirst", SecretKey: "k1", Token: "t1", Source: "cvm-role:r", Expires: time.Now().Add(30 * time.Millisecond)}), nil
				}
				c, err := tt.second()
				return f.issue(c), err
			})
			out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":`+idsJSON(250)+`,"ProjectId":3}`))
			require.NoError(t, err)
			a := decodeAnswer(t, out)
			require.Len(t, a.Batches, 3)
			for i, b := range a.Batches {
				assert.Equal(t, tt.wantCodes[i], b.Code, "batch %d: %s", i, b.Message)
			}
			assert.Equal(t, tt.wantIDs, f.ids)
			assert.Zero(t, f.expired, "no call signed with expired keys")
		})
	}
}

func TestNewFromEnvRoleConfiguration(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string // the provider's type
		wantErr string
	}{
		{"no role", map[string]string{}, "credentials.Chain", ""},
		{"a role", map[string]string{"ROLE_ARN": "qcs::cam::uin/100000000001:roleName/mover", "SCF_FUNCTIONNAME": "mover"}, "*credentials.AssumeRole", ""},
		{"a duration out of range", map[string]string{"ROLE_ARN": "qcs::cam::uin/1:roleName/r", "ROLE_DURATION": "60"}, "", "ROLE_DURATION"},
		{"a bad STS endpoint", map[string]string{"ROLE_ARN": "qcs::cam::uin/1:roleName/r", "STS_ENDPOINT": "sts"}, "", "STS_ENDPOINT"},
		{"a bad metadata endpoint", map[string]string{"METADATA_ENDPOINT": "metadata.tencentyun.com"}, "", "METADATA_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := NewFromEnv(func(k string) string { return tt.env[k] }, slog.New(slog.NewJSONHandler(&logs, nil)))
			if tt.wantErr != "" {
				require.NotNil(t, h.ConfigErr)
				assert.Equal(t, answer.CodeInvalidConfig, h.ConfigErr.Code)
				assert.Contains(t, h.ConfigErr.Message, tt.wantErr)
				assert.Contains(t, logs.String(), "invalid configuration")
				out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
				require.NoError(t, err)
				assert.Equal(t, answer.CodeInvalidConfig, decodeAnswer(t, out).Code)
				return
			}
			require.Nil(t, h.ConfigErr)
			assert.Equal(t, tt.want, fmt.Sprintf("%T", h.Credentials))
		})
	}
}
