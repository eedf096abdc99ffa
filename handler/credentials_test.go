package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// providerFunc is a credentials.Provider from a function.
type providerFunc func(context.Context) (credentials.Credentials, error)

func (f providerFunc) Retrieve(ctx context.Context) (credentials.Credentials, error) { return f(ctx) }

// credsCVM records the keys of every call and whether they had expired
// when the call was made.
type credsCVM struct {
	mu      sync.Mutex
	ids     []string
	expired int
	delay   time.Duration
}

func (f *credsCVM) Call(_ context.Context, creds credentials.Credentials, _ string, _ cvm.Action, _ any) (cvm.Result, error) {
	f.mu.Lock()
	f.ids = append(f.ids, creds.SecretID)
	if creds.Expired(time.Now()) {
		f.expired++
	}
	n := len(f.ids)
	f.mu.Unlock()
	time.Sleep(f.delay)
	return cvm.Result{RequestID: fmt.Sprintf("req-%d", n)}, nil
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
			CodeMissingCredentials, 500, []string{"env: TENCENTCLOUD_SECRETID", "cvm-role: no instance role"}},
		{"STS refused", stsErr, CodeAssumeRoleFailed, 502, []string{"UnauthorizedOperation", "5d2e1b2c-sts", "roleName/mover"}},
		{"STS unreachable", fmt.Errorf("%w: role r: STS 127.0.0.1:1: connection refused", credentials.ErrAssumeRole), CodeAssumeRoleFailed, 502, []string{"connection refused"}},
		{"the instance role's keys unreadable", fmt.Errorf("%w: role mover at metadata metadata.tencentyun.com: HTTP 500", credentials.ErrMetadataUnreachable),
			CodeMetadataUnreachable, 502, []string{"role mover", "HTTP 500"}},
		{"the deadline while waiting for another invocation's refresh", fmt.Errorf("waiting for credentials: %w", context.DeadlineExceeded), CodeDeadlineExceeded, 504, []string{"deadline"}},
		{"anything else", fmt.Errorf("surprise"), CodeMissingCredentials, 500, []string{"surprise"}},
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
			assert.Equal(t, tt.wantStatus, HTTPStatus(a.Code))
			for _, w := range tt.wantInMsg {
				assert.Contains(t, a.Message, w)
			}
			assert.Empty(t, a.CredentialSource, "no credentials, no source")
			assert.NotContains(t, resp.Body, "CredentialSource")
			assert.Equal(t, []string{"ins-00000001"}, a.InstanceIds)
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
	assert.Equal(t, CodeSuccess, a.Code)
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
		}, []string{CodeSuccess, CodeSuccess, CodeSuccess}, []string{"AKIDfirst", "AKIDsecond", "AKIDsecond"}},
		{"the refresh fails", func() (credentials.Credentials, error) {
			return credentials.Credentials{}, fmt.Errorf("%w: role r at metadata m: HTTP 500", credentials.ErrMetadataUnreachable)
		}, []string{CodeSuccess, CodeMetadataUnreachable, CodeMetadataUnreachable}, []string{"AKIDfirst"}},
		{"the provider gives expired keys", func() (credentials.Credentials, error) {
			return credentials.Credentials{SecretID: "AKIDstale", SecretKey: "k", Token: "t", Source: "cvm-role:r", Expires: time.Now().Add(-time.Second)}, nil
		}, []string{CodeSuccess, CodeMissingCredentials, CodeMissingCredentials}, []string{"AKIDfirst"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &credsCVM{delay: 60 * time.Millisecond}
			h := &Handler{CVM: f, DefaultRegion: "ap-guangzhou"}
			var mu sync.Mutex
			asked := 0
			h.Credentials = providerFunc(func(context.Context) (credentials.Credentials, error) {
				mu.Lock()
				defer mu.Unlock()
				asked++
				if asked == 1 { // expire during the first batch
					return credentials.Credentials{SecretID: "AKIDfirst", SecretKey: "k1", Token: "t1", Source: "cvm-role:r", Expires: time.Now().Add(30 * time.Millisecond)}, nil
				}
				return tt.second()
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
		{"a role", map[string]string{"TENCENTCLOUD_ROLE_ARN": "qcs::cam::uin/100000000001:roleName/mover", "FUNCTION_NAME": "mover"}, "*credentials.AssumeRole", ""},
		{"a duration out of range", map[string]string{"TENCENTCLOUD_ROLE_ARN": "qcs::cam::uin/1:roleName/r", "TENCENTCLOUD_ROLE_DURATION": "60"}, "", "TENCENTCLOUD_ROLE_DURATION"},
		{"a bad STS endpoint", map[string]string{"TENCENTCLOUD_ROLE_ARN": "qcs::cam::uin/1:roleName/r", "STS_ENDPOINT": "sts"}, "", "STS_ENDPOINT"},
		{"a bad metadata endpoint", map[string]string{"METADATA_ENDPOINT": "metadata.tencentyun.com"}, "", "METADATA_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := NewFromEnv(func(k string) string { return tt.env[k] }, slog.New(slog.NewJSONHandler(&logs, nil)))
			if tt.wantErr != "" {
				require.NotNil(t, h.ConfigErr)
				assert.Equal(t, CodeInvalidConfig, h.ConfigErr.Code)
				assert.Contains(t, h.ConfigErr.Message, tt.wantErr)
				assert.Contains(t, logs.String(), "invalid configuration")
				out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":3}`))
				require.NoError(t, err)
				assert.Equal(t, CodeInvalidConfig, decodeAnswer(t, out).Code)
				return
			}
			require.Nil(t, h.ConfigErr)
			assert.Equal(t, tt.want, fmt.Sprintf("%T", h.Credentials))
		})
	}
}
