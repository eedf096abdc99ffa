package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

const (
	roleARN      = "qcs::cam::uin/100000000001:roleName/cvm-project-mover"
	stsSecretID  = "AKIDtmpSTSz8krbsJ5yKBZQpn74WEXAMPLE"
	stsSecretKey = "TmpSTSKeyGu5t9xGARNpq86cdEXAMPLE"
	stsToken     = "made-up-sts-session-token"
	baseToken    = "made-up-base-session-token"
)

func stsSuccess(expires time.Time) string {
	return fmt.Sprintf(`{"Response":{"Credentials":{"Token":%q,"TmpSecretId":%q,"TmpSecretKey":%q},"ExpiredTime":%d,"Expiration":%q,"RequestId":"sts-req-1"}}`,
		stsToken, stsSecretID, stsSecretKey, expires.Unix(), expires.UTC().Format(time.RFC3339))
}

func newAssumeRole(t *testing.T, d Doer, base Provider, clock *fakeClock, edit func(*AssumeRoleOptions)) *AssumeRole {
	t.Helper()
	o := AssumeRoleOptions{
		RoleARN: roleARN, SessionName: "cvm-project-test", Duration: DefaultRoleDuration, Region: "ap-shanghai",
		Endpoint: "http://127.0.0.1:9/", Base: base, Calls: Calls{HTTP: d, Now: clock.Now, Sleep: noSleep},
	}
	if edit != nil {
		edit(&o)
	}
	p, err := NewAssumeRole(o)
	require.NoError(t, err)
	return p
}

func baseCreds(token string) *staticProvider {
	return &staticProvider{creds: Credentials{SecretID: exampleID, SecretKey: exampleKey, Token: token, Source: "env"}}
}

func TestAssumeRoleSignsTheCallWithTheBaseKeys(t *testing.T) {
	for _, token := range []string{"", baseToken} {
		t.Run(fmt.Sprintf("base token %t", token != ""), func(t *testing.T) {
			clock := newClock()
			expires := clock.Now().Add(time.Hour)
			s := &fakeServer{routes: map[string]route{"/": {status: 200, body: stsSuccess(expires)}}}
			p := newAssumeRole(t, s, baseCreds(token), clock, func(o *AssumeRoleOptions) { o.ExternalID = "ext-1"; o.Duration = 900 * time.Second })
			got, err := p.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, Credentials{SecretID: stsSecretID, SecretKey: stsSecretKey, Token: stsToken,
				Source: "assumed-role:" + roleARN, Expires: time.Unix(expires.Unix(), 0)}, got)

			require.Equal(t, 1, s.count())
			r, body := s.requests[0], s.bodies[0]
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, "http://127.0.0.1:9/", r.URL.String())
			h := r.Header
			assert.Equal(t, "AssumeRole", h.Get("X-TC-Action"))
			assert.Equal(t, "2018-08-13", h.Get("X-TC-Version"))
			assert.Equal(t, "ap-shanghai", h.Get("X-TC-Region"))
			assert.Equal(t, fmt.Sprint(clock.Now().Unix()), h.Get("X-TC-Timestamp"))
			assert.Equal(t, token, h.Get("X-TC-Token"), "the base key's token travels with it")
			assert.JSONEq(t, `{"RoleArn":"`+roleARN+`","RoleSessionName":"cvm-project-test","DurationSeconds":900,"ExternalId":"ext-1"}`, body)
			want := signer.TC3Sign(signer.TC3Request{
				HTTPMethod: "POST", Path: "/", Host: "127.0.0.1:9", ContentType: h.Get("Content-Type"),
				Payload: []byte(body), Service: "sts", Timestamp: clock.Now().Unix(),
			}, exampleID, exampleKey).Authorization
			assert.Equal(t, want, h.Get("Authorization"))
			assertBodiesClosed(t, s)
		})
	}
}

func TestAssumeRoleOmitsAnEmptyExternalID(t *testing.T) {
	clock := newClock()
	s := &fakeServer{routes: map[string]route{"/": {status: 200, body: stsSuccess(clock.Now().Add(time.Hour))}}}
	_, err := newAssumeRole(t, s, baseCreds(""), clock, nil).Retrieve(context.Background())
	require.NoError(t, err)
	var params map[string]any
	require.NoError(t, json.Unmarshal([]byte(s.bodies[0]), &params))
	assert.NotContains(t, params, "ExternalId")
	assert.EqualValues(t, 3600, params["DurationSeconds"])
}

func TestAssumeRoleFailures(t *testing.T) {
	clock := newClock()
	tests := []struct {
		name      string
		route     route
		wantInMsg []string
		wantSTS   *STSError
	}{
		{"STS refuses", route{status: 200, body: `{"Response":{"Error":{"Code":"ResourceNotFound.RoleNotFound","Message":"role not exist"},"RequestId":"sts-req-9"}}`},
			[]string{"ResourceNotFound.RoleNotFound", "sts-req-9", roleARN}, &STSError{Code: "ResourceNotFound.RoleNotFound", Message: "role not exist", RequestID: "sts-req-9"}},
		{"HTML 502", route{status: 502, body: "<html>bad gateway</html>"}, []string{"HTTP 502"}, nil},
		{"not JSON", route{status: 200, body: `{"Response":`}, []string{"not the API's JSON"}, nil},
		{"JSON of another shape", route{status: 200, body: `{"hello":1}`}, []string{"not the API's JSON"}, nil},
		{"no credentials", route{status: 200, body: `{"Response":{"RequestId":"sts-req-3"}}`}, []string{"lacks Credentials", "sts-req-3"}, nil},
		{"already expired", route{status: 200, body: stsSuccess(clock.Now().Add(-time.Minute))}, []string{"expired"}, nil},
		{"connection refused", route{err: syscall.ECONNREFUSED}, []string{"connection refused"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeServer{routes: map[string]route{"/": tt.route}}
			got, err := newAssumeRole(t, s, baseCreds(baseToken), clock, nil).Retrieve(context.Background())
			require.ErrorIs(t, err, ErrAssumeRole)
			assert.Equal(t, Credentials{}, got)
			for _, w := range tt.wantInMsg {
				assert.Contains(t, err.Error(), w)
			}
			var stsErr *STSError
			if tt.wantSTS != nil {
				require.ErrorAs(t, err, &stsErr)
				assert.Equal(t, tt.wantSTS, stsErr)
			} else {
				assert.False(t, errors.As(err, &stsErr))
			}
			assert.NotContains(t, err.Error(), "bad gateway", "bodies are described, not echoed")
			assertNoSecret(t, err.Error(), exampleKey, baseToken, stsSecretKey, stsToken)
			assertBodiesClosed(t, s)
		})
	}
}

func TestAssumeRoleWithoutBaseKeysCallsNoSTS(t *testing.T) {
	tests := []struct {
		name    string
		baseErr error
		want    error
	}{
		{"no keys anywhere", fmt.Errorf("%w (tried env: ...; cvm-role: ...)", ErrNotFound), ErrNotFound},
		{"the instance role's keys unreadable", fmt.Errorf("%w: role r: HTTP 500", ErrMetadataUnreachable), ErrMetadataUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeServer{}
			_, err := newAssumeRole(t, s, &staticProvider{err: tt.baseErr}, newClock(), nil).Retrieve(context.Background())
			require.ErrorIs(t, err, tt.want)
			assert.False(t, errors.Is(err, ErrAssumeRole), "STS was not asked")
			assert.Contains(t, err.Error(), roleARN)
			assert.Zero(t, s.count(), "no STS call without base keys")
		})
	}
}

func TestAssumeRoleTimeouts(t *testing.T) {
	t.Run("5 s per call by default", func(t *testing.T) {
		d := &deadlineRecorder{}
		_, err := newAssumeRole(t, d, baseCreds(""), newClock(), nil).Retrieve(context.Background())
		require.ErrorIs(t, err, ErrAssumeRole)
		require.Len(t, d.left, 1+CallRetries, "each attempt")
		for _, left := range d.left {
			assert.InDelta(t, STSTimeout.Seconds(), left.Seconds(), 0.2)
		}
	})
	t.Run("bounded by the invocation's deadline", func(t *testing.T) {
		d := &deadlineRecorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := newAssumeRole(t, d, baseCreds(""), newClock(), nil).Retrieve(ctx)
		require.Error(t, err)
		require.NotEmpty(t, d.left)
		for _, left := range d.left {
			assert.LessOrEqual(t, left, 300*time.Millisecond)
		}
	})
	t.Run("a call that hangs ends at the timeout and says so", func(t *testing.T) {
		p := newAssumeRole(t, blocker{}, baseCreds(""), newClock(), func(o *AssumeRoleOptions) { o.Timeout = 50 * time.Millisecond })
		start := time.Now()
		_, err := p.Retrieve(context.Background())
		assert.Less(t, time.Since(start), time.Second)
		require.ErrorIs(t, err, ErrAssumeRole)
		assert.Contains(t, err.Error(), "no answer within 50ms")
	})
}

func TestAssumeRoleIsCachedAndRefreshed(t *testing.T) {
	clock := newClock()
	s := &fakeServer{routes: map[string]route{"/": {status: 200, body: stsSuccess(clock.Now().Add(time.Hour))}}}
	base := baseCreds("")
	p := newAssumeRole(t, s, base, clock, nil)
	for range 5 {
		_, err := p.Retrieve(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, 1, s.count())
	assert.EqualValues(t, 1, base.calls.Load(), "base keys are read only to call STS")
	clock.Advance(55 * time.Minute)
	s.routes["/"] = route{status: 200, body: stsSuccess(clock.Now().Add(time.Hour))}
	_, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, s.count())
}

func TestNewAssumeRoleChecksItsOptions(t *testing.T) {
	tests := []struct {
		name string
		edit func(*AssumeRoleOptions)
		want string
	}{
		{"a session name too long", func(o *AssumeRoleOptions) { o.SessionName = string(make([]byte, 65)) }, "ROLE_SESSION_NAME"},
		{"a session name with a space", func(o *AssumeRoleOptions) { o.SessionName = "cvm project" }, `ROLE_SESSION_NAME "cvm project" is not 2 to 64 letters`},
		{"an endpoint without a scheme", func(o *AssumeRoleOptions) { o.Endpoint = "sts.tencentcloudapi.com" }, `STS_ENDPOINT: "sts.tencentcloudapi.com" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := AssumeRoleOptions{RoleARN: roleARN, SessionName: "cvm-project-test", Base: baseCreds(""), Calls: Calls{HTTP: &fakeServer{}}}
			tt.edit(&o)
			_, err := NewAssumeRole(o)
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
