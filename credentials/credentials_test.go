package credentials

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	exampleID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	exampleKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
)

func envOf(m map[string]string) Env { return Env{Getenv: func(k string) string { return m[k] }} }

func TestEnvRetrieve(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Credentials
		wantErr string
	}{
		{"permanent keys", map[string]string{EnvSecretID: exampleID, EnvSecretKey: exampleKey},
			Credentials{SecretID: exampleID, SecretKey: exampleKey, Source: "env"}, ""},
		{"role keys with token", map[string]string{EnvSecretID: exampleID, EnvSecretKey: exampleKey, EnvSessionToken: "tok"},
			Credentials{SecretID: exampleID, SecretKey: exampleKey, Token: "tok", Source: "env"}, ""},
		{"nothing", map[string]string{}, Credentials{}, "TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY not set"},
		{"id only", map[string]string{EnvSecretID: exampleID}, Credentials{}, "TENCENTCLOUD_SECRETKEY not set"},
		{"blank key", map[string]string{EnvSecretID: exampleID, EnvSecretKey: "  "}, Credentials{}, "TENCENTCLOUD_SECRETKEY not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := envOf(tt.env).Retrieve(context.Background())
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrNotFound)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEnvReadsAtEachCall(t *testing.T) {
	m := map[string]string{EnvSecretID: "AKID1", EnvSecretKey: "k1"}
	p := envOf(m)
	first, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	m[EnvSecretID], m[EnvSecretKey] = "AKID2", "k2"
	second, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKID1", first.SecretID)
	assert.Equal(t, "AKID2", second.SecretID, "rotated keys are picked up")
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	c := Credentials{SecretID: exampleID, SecretKey: exampleKey, Token: "session-token-value", Source: "env"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "creds", c)
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logs.String()} {
		assert.NotContains(t, out, exampleKey)
		assert.NotContains(t, out, "session-token-value")
		assert.Contains(t, out, exampleID)
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2024, 5, 20, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		expires time.Time
		want    bool
	}{
		{"permanent", time.Time{}, false},
		{"a second left", now.Add(time.Second), false},
		{"expiring now", now, true},
		{"expired", now.Add(-time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Credentials{SecretID: exampleID, SecretKey: exampleKey, Token: "tok", Expires: tt.expires}
			assert.Equal(t, tt.want, c.Expired(now))
		})
	}
	c := Credentials{SecretID: exampleID, SecretKey: exampleKey, Token: "tok-secret", Source: "cvm-role:r", Expires: now}
	assert.Equal(t, "credentials{SecretId: "+exampleID+", Source: cvm-role:r, Token: true, Expires: 2024-05-20T02:00:00Z}", c.String())
}
