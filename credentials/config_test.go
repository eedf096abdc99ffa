package credentials

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, p Provider)
		wantErr string
	}{
		{"no role: env, then the instance role", map[string]string{}, func(t *testing.T, p Provider) {
			c, ok := p.(Chain)
			require.True(t, ok, "%T", p)
			require.Len(t, c, 2)
			assert.IsType(t, Env{}, c[0])
			require.IsType(t, &InstanceRole{}, c[1])
			assert.Equal(t, DefaultMetadataEndpoint, c[1].(*InstanceRole).endpoint.String())
		}, ""},
		{"a metadata endpoint", map[string]string{EnvMetadataEndpoint: "http://127.0.0.1:9/"}, func(t *testing.T, p Provider) {
			assert.Equal(t, "http://127.0.0.1:9", p.(Chain)[1].(*InstanceRole).endpoint.String())
		}, ""},
		{"a role with the defaults", map[string]string{EnvRoleARN: " " + roleARN + " ", EnvFunctionName: "mover"}, func(t *testing.T, p Provider) {
			a, ok := p.(*AssumeRole)
			require.True(t, ok, "%T", p)
			assert.Equal(t, roleARN, a.o.RoleARN)
			assert.Equal(t, "cvm-project-mover", a.o.SessionName)
			assert.Equal(t, time.Hour, a.o.Duration)
			assert.Equal(t, "ap-guangzhou", a.o.Region)
			assert.Equal(t, DefaultSTSEndpoint, a.endpoint.String())
			assert.Empty(t, a.o.ExternalID)
			base, ok := a.o.Base.(Chain)
			require.True(t, ok, "the base keys come from env, else the instance role")
			assert.IsType(t, Env{}, base[0])
			assert.IsType(t, &InstanceRole{}, base[1])
		}, ""},
		{"a role with every setting", map[string]string{
			EnvRoleARN: roleARN, EnvRoleSessionName: "nightly@ops", EnvRoleDuration: "900", EnvRoleExternalID: "ext-1",
			EnvSTSEndpoint: "http://127.0.0.1:8/", EnvRegion: "ap-shanghai",
		}, func(t *testing.T, p Provider) {
			a := p.(*AssumeRole)
			assert.Equal(t, "nightly@ops", a.o.SessionName)
			assert.Equal(t, 900*time.Second, a.o.Duration)
			assert.Equal(t, "ext-1", a.o.ExternalID)
			assert.Equal(t, "ap-shanghai", a.o.Region)
			assert.Equal(t, "http://127.0.0.1:8/", a.endpoint.String())
		}, ""},
		{"the longest duration", map[string]string{EnvRoleARN: roleARN, EnvRoleDuration: "43200"}, func(t *testing.T, p Provider) {
			assert.Equal(t, 12*time.Hour, p.(*AssumeRole).o.Duration)
		}, ""},
		{"the session name from SCF_FUNCTIONNAME", map[string]string{EnvRoleARN: roleARN, "SCF_FUNCTIONNAME": "scf-fn"}, func(t *testing.T, p Provider) {
			assert.Equal(t, "cvm-project-scf-fn", p.(*AssumeRole).o.SessionName)
		}, ""},
		{"a long function name is trimmed to 64", map[string]string{EnvRoleARN: roleARN, EnvFunctionName: strings.Repeat("f", 80)}, func(t *testing.T, p Provider) {
			assert.Equal(t, "cvm-project-"+strings.Repeat("f", 52), p.(*AssumeRole).o.SessionName)
		}, ""},
		{"a duration too short", map[string]string{EnvRoleARN: roleARN, EnvRoleDuration: "899"}, nil, "ROLE_DURATION"},
		{"a duration too long", map[string]string{EnvRoleARN: roleARN, EnvRoleDuration: "43201"}, nil, "ROLE_DURATION"},
		{"a duration in other units", map[string]string{EnvRoleARN: roleARN, EnvRoleDuration: "1h"}, nil, "ROLE_DURATION"},
		{"a bad session name", map[string]string{EnvRoleARN: roleARN, EnvRoleSessionName: "a b"}, nil, "ROLE_SESSION_NAME"},
		{"a bad STS endpoint", map[string]string{EnvRoleARN: roleARN, EnvSTSEndpoint: "sts.tencentcloudapi.com"}, nil, "STS_ENDPOINT"},
		{"a bad metadata endpoint", map[string]string{EnvMetadataEndpoint: "ftp://x"}, nil, "METADATA_ENDPOINT"},
		{"role variables without a role are ignored", map[string]string{EnvRoleDuration: "1"}, func(t *testing.T, p Provider) {
			assert.IsType(t, Chain{}, p)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := func(k string) string { return tt.env[k] }
			p, _, err := FromEnv(get, get, &fakeServer{}, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrInvalidConfig)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, p)
		})
	}
}

// The settings are read through getenv once, by FromEnv; the keys through
// keys, at every call.
func TestFromEnvReadsTheKeysThroughKeys(t *testing.T) {
	var read []string
	settings := func(k string) string { read = append(read, k); return "" }
	keys := map[string]string{EnvSecretID: "AKID1", EnvSecretKey: "k1"}
	p, _, err := FromEnv(settings, func(k string) string { return keys[k] }, &fakeServer{}, nil)
	require.NoError(t, err)
	settingsRead := len(read)
	got, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKID1", got.SecretID)
	keys[EnvSecretID] = "AKID2"
	got, err = p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKID2", got.SecretID, "rotated keys are picked up")
	assert.Len(t, read, settingsRead, "no setting is read after FromEnv")
	assert.NotContains(t, read, EnvSecretID)
}

func TestDefaultSessionName(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"", "cvm-project"},
		{"mover", "cvm-project-mover"},
		{"a b/c", "cvm-project-a-b-c"},
		{strings.Repeat("x", 100), "cvm-project-" + strings.Repeat("x", 52)},
	}
	for _, tt := range tests {
		got := DefaultSessionName(tt.name)
		assert.Equal(t, tt.want, got, "%q", tt.name)
		assert.Regexp(t, `^[\w+=,.@-]{2,64}$`, got)
		assert.True(t, validSessionName(got))
	}
}

func TestChain(t *testing.T) {
	found := func(src string) *staticProvider {
		return &staticProvider{creds: Credentials{SecretID: "AKID-" + src, SecretKey: "k", Source: src}}
	}
	notFound := func(what string) *staticProvider {
		return &staticProvider{err: fmt.Errorf("%s: %w", what, ErrNotFound)}
	}
	broken := &staticProvider{err: fmt.Errorf("%w: role r: HTTP 500", ErrMetadataUnreachable)}
	tests := []struct {
		name       string
		chain      Chain
		wantSource string
		wantErr    error
		wantMsg    string
		wantAsked  []int64 // calls per provider
	}{
		{"the first that has keys", Chain{found("env"), found("cvm-role:r")}, "env", nil, "", []int64{1, 0}},
		{"the next when the first has none", Chain{notFound("env: not set"), found("cvm-role:r")}, "cvm-role:r", nil, "", []int64{1, 1}},
		{"none: what was tried", Chain{notFound("env: TENCENTCLOUD_SECRETID not set"), notFound("cvm-role: no instance role")}, "", ErrNotFound,
			"no credentials found (tried env: TENCENTCLOUD_SECRETID not set; cvm-role: no instance role)", []int64{1, 1}},
		{"another error ends the search", Chain{notFound("env: not set"), broken, found("later")}, "", ErrMetadataUnreachable, "HTTP 500", []int64{1, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.chain.Retrieve(context.Background())
			for i, p := range tt.chain {
				assert.Equal(t, tt.wantAsked[i], p.(*staticProvider).calls.Load(), "provider %d", i)
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, tt.wantMsg, err.Error()[len(err.Error())-len(tt.wantMsg):])
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantSource, got.Source)
		})
	}
}

// FromEnv names the chain it builds, and where each provider reads.
func TestFromEnvNamesTheChain(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "env, then cvm-role (metadata " + DefaultMetadataEndpoint + ")"},
		{map[string]string{EnvRoleARN: roleARN, EnvMetadataEndpoint: "http://127.0.0.1:9", EnvSTSEndpoint: "http://127.0.0.1:8/"},
			"assumed-role:" + roleARN + " (STS 127.0.0.1:8, signed with the keys of env, then cvm-role (metadata http://127.0.0.1:9))"},
	}
	for _, tt := range tests {
		get := func(k string) string { return tt.env[k] }
		_, name, err := FromEnv(get, get, &fakeServer{}, nil)
		require.NoError(t, err)
		assert.Equal(t, tt.want, name)
	}
}

func TestValidSessionName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"ab", true},
		{"cvm-project_mover+1=a,b.c@d", true},
		{strings.Repeat("x", 64), true},
		{"a", false},
		{strings.Repeat("x", 65), false},
		{"a b", false},
		{"a/b", false},
		{"día", false},
		{"", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, validSessionName(tt.name), "%q", tt.name)
	}
}
