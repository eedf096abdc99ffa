package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	roleName     = "cvm-project-mover"
	tmpSecretID  = "AKIDtmpMetadataz8krbsJ5yKBZQEXAMPLE"
	tmpSecretKey = "TmpMetadataKeyGu5t9xGARNpEXAMPLE"
	tmpToken     = "made-up-metadata-session-token"
)

func metadataCredentialsJSON(expires time.Time, code string) string {
	return fmt.Sprintf(`{"TmpSecretId":%q,"TmpSecretKey":%q,"ExpiredTime":%d,"Expiration":%q,"Token":%q,"Code":%q}`,
		tmpSecretID, tmpSecretKey, expires.Unix(), expires.UTC().Format(time.RFC3339), tmpToken, code)
}

func newInstanceRole(t *testing.T, d Doer, clock *fakeClock) *InstanceRole {
	t.Helper()
	p, err := NewInstanceRole(InstanceRoleOptions{Endpoint: "http://127.0.0.1:9/", Calls: Calls{HTTP: d, Now: clock.Now, Sleep: noSleep}})
	require.NoError(t, err)
	return p
}

func TestInstanceRole(t *testing.T) {
	clock := newClock()
	expires := clock.Now().Add(6 * time.Hour)
	rolePath := MetadataCredentialsPath + roleName
	tests := []struct {
		name     string
		routes   map[string]route
		want     Credentials
		wantErr  error
		wantMsg  string
		wantGets int
	}{
		{"the role and its keys", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName + "\n"},
			rolePath:                {status: 200, body: metadataCredentialsJSON(expires, "Success")},
		}, Credentials{SecretID: tmpSecretID, SecretKey: tmpSecretKey, Token: tmpToken, Source: "cvm-role:" + roleName, Expires: time.Unix(expires.Unix(), 0)}, nil, "", 2},
		{"Expiration only", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName},
			rolePath:                {status: 200, body: fmt.Sprintf(`{"TmpSecretId":%q,"TmpSecretKey":%q,"Token":%q,"Expiration":%q,"Code":"Success"}`, tmpSecretID, tmpSecretKey, tmpToken, expires.Format(time.RFC3339))},
		}, Credentials{SecretID: tmpSecretID, SecretKey: tmpSecretKey, Token: tmpToken, Source: "cvm-role:" + roleName, Expires: expires}, nil, "", 2},
		{"no role attached: HTTP 404", map[string]route{}, Credentials{}, ErrNotFound, "HTTP 404", 1},
		{"no metadata service", map[string]route{MetadataCredentialsPath: {err: syscall.ECONNREFUSED}}, Credentials{}, ErrNotFound, "connection refused", 1},
		{"an empty role name", map[string]route{MetadataCredentialsPath: {status: 200, body: "\n"}}, Credentials{}, ErrNotFound, "names none", 1},
		{"the role's keys: HTTP 500", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName},
			rolePath:                {status: 500, body: "oops"},
		}, Credentials{}, ErrMetadataUnreachable, "HTTP 500", 2 + CallRetries},
		{"the role's keys: connection reset", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName},
			rolePath:                {err: syscall.ECONNRESET},
		}, Credentials{}, ErrMetadataUnreachable, "connection reset", 2 + CallRetries},
		{"the role's keys: not JSON", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName},
			rolePath:                {status: 200, body: "<html>"},
		}, Credentials{}, ErrMetadataUnreachable, "not JSON", 2 + CallRetries},
		{"the role's keys: Code is not Success", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName},
			rolePath:                {status: 200, body: metadataCredentialsJSON(expires, "Failed")},
		}, Credentials{}, ErrMetadataUnreachable, `"Failed"`, 2},
		{"the role's keys: already expired", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName},
			rolePath:                {status: 200, body: metadataCredentialsJSON(clock.Now().Add(-time.Second), "Success")},
		}, Credentials{}, ErrMetadataUnreachable, "expired", 2},
		{"the role's keys: no expiry", map[string]route{
			MetadataCredentialsPath: {status: 200, body: roleName},
			rolePath:                {status: 200, body: fmt.Sprintf(`{"TmpSecretId":%q,"TmpSecretKey":%q,"Token":%q,"Code":"Success"}`, tmpSecretID, tmpSecretKey, tmpToken)},
		}, Credentials{}, ErrMetadataUnreachable, "neither ExpiredTime nor Expiration", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeServer{routes: tt.routes}
			got, err := newInstanceRole(t, s, clock).Retrieve(context.Background())
			assert.Equal(t, tt.wantGets, s.count())
			assertBodiesClosed(t, s)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), tt.wantMsg)
				assertNoSecret(t, err.Error(), tmpSecretKey, tmpToken)
				if errors.Is(tt.wantErr, ErrMetadataUnreachable) {
					assert.False(t, errors.Is(err, ErrNotFound), "a role whose keys cannot be read is not 'no role'")
					assert.Contains(t, err.Error(), roleName)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			for _, r := range s.requests {
				assert.Equal(t, http.MethodGet, r.Method)
				assert.Equal(t, "127.0.0.1:9", r.URL.Host)
			}
		})
	}
}

func TestInstanceRoleIsCachedAndRefreshed(t *testing.T) {
	clock := newClock()
	s := &fakeServer{routes: map[string]route{
		MetadataCredentialsPath:            {status: 200, body: roleName},
		MetadataCredentialsPath + roleName: {status: 200, body: metadataCredentialsJSON(clock.Now().Add(time.Hour), "Success")},
	}}
	p := newInstanceRole(t, s, clock)
	for range 3 {
		_, err := p.Retrieve(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, 2, s.count(), "two metadata reads, then the cache")
	clock.Advance(55 * time.Minute)
	_, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 4, s.count(), "read again 5 minutes before expiry")
}

func TestInstanceRoleTimeouts(t *testing.T) {
	t.Run("2 s per call by default", func(t *testing.T) {
		d := &deadlineRecorder{}
		_, err := newInstanceRole(t, d, newClock()).Retrieve(context.Background())
		require.ErrorIs(t, err, ErrNotFound)
		require.Len(t, d.left, 1+CallRetries, "each attempt")
		for _, left := range d.left {
			assert.InDelta(t, MetadataTimeout.Seconds(), left.Seconds(), 0.2)
		}
	})
	t.Run("bounded by the invocation's deadline", func(t *testing.T) {
		d := &deadlineRecorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := newInstanceRole(t, d, newClock()).Retrieve(ctx)
		require.Error(t, err)
		require.NotEmpty(t, d.left)
		for _, left := range d.left {
			assert.LessOrEqual(t, left, 300*time.Millisecond)
		}
	})
	t.Run("a call that hangs ends at the timeout and says so", func(t *testing.T) {
		p, err := NewInstanceRole(InstanceRoleOptions{Endpoint: "http://127.0.0.1:9", Calls: Calls{HTTP: blocker{}, Timeout: 50 * time.Millisecond, Now: newClock().Now}})
		require.NoError(t, err)
		start := time.Now()
		_, err = p.Retrieve(context.Background())
		assert.Less(t, time.Since(start), time.Second)
		require.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), "no answer within 50ms")
	})
}

func TestNewInstanceRoleRejectsBadEndpoints(t *testing.T) {
	for _, ep := range []string{"metadata.tencentyun.com", "ftp://127.0.0.1/", "http://"} {
		_, err := NewInstanceRole(InstanceRoleOptions{Endpoint: ep, Calls: Calls{HTTP: &fakeServer{}}})
		assert.ErrorIs(t, err, ErrInvalidConfig, ep)
	}
}
