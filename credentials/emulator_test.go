package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/internal/emulator"
)

// Against the loopback emulator, which checks the STS call's TC3
// signature with the code that checks CVM calls.

const emuRoleARN = "qcs::cam::uin/100000000001:roleName/cvm-project-mover"

type emu struct {
	e                 *emulator.Emulator
	sts               *emulator.STS
	meta              *emulator.Metadata
	stsURL, metaURL   string
	now               time.Time
	baseID, baseKey   string
	client            *http.Client
	getenv            func(string) string
	env               map[string]string
	stsStop, metaStop func()
}

func newEmu(t *testing.T) *emu {
	t.Helper()
	v := &emu{e: emulator.New(), now: time.Now().Truncate(time.Second), client: &http.Client{}}
	v.e.SetClock(func() time.Time { return v.now })
	k := emulator.ExampleKey()
	v.baseID, v.baseKey = k.SecretID, k.SecretKey
	v.e.AddKey(k)
	v.sts = emulator.NewSTS(v.e)
	v.sts.AddRole(emuRoleARN, "")
	var err error
	v.stsURL, v.stsStop, err = v.sts.Start()
	require.NoError(t, err)
	t.Cleanup(v.stsStop)
	v.meta = emulator.NewMetadata(v.e)
	v.metaURL, v.metaStop, err = v.meta.Start()
	require.NoError(t, err)
	t.Cleanup(v.metaStop)
	v.env = map[string]string{
		credentials.EnvSTSEndpoint:      v.stsURL + "/",
		credentials.EnvMetadataEndpoint: v.metaURL,
	}
	v.getenv = func(k string) string { return v.env[k] }
	return v
}

func TestProvidersAgainstTheEmulator(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		role       string // the instance's role; "" for none
		wantSource string
		wantSTS    int
		wantBaseID string // the key that signed the STS call, when there is one
	}{
		{"env alone", map[string]string{credentials.EnvSecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", credentials.EnvSecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}, "", "env", 0, ""},
		{"env before the instance role", map[string]string{credentials.EnvSecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", credentials.EnvSecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}, "r1", "env", 0, ""},
		{"the instance role alone", nil, "r1", "cvm-role:r1", 0, ""},
		{"an assumed role, signed with the env's keys", map[string]string{credentials.EnvRoleARN: emuRoleARN,
			credentials.EnvSecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", credentials.EnvSecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}, "r1", "assumed-role:" + emuRoleARN, 1, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"},
		{"an assumed role, signed with the instance role's keys", map[string]string{credentials.EnvRoleARN: emuRoleARN}, "r1", "assumed-role:" + emuRoleARN, 1, "instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEmu(t)
			for k, val := range tt.env {
				v.env[k] = val
			}
			v.meta.SetRole(tt.role, 0)
			p, _, err := credentials.FromEnv(v.getenv, v.getenv, v.client, nil)
			require.NoError(t, err)
			r := &credentials.Renewing{Provider: p}
			got, err := r.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.wantSource, got.Source)
			// A provider holding keys prints none of them, however printed.
			printed := fmt.Sprintf("%v %+v %#v | %v %+v %#v", p, p, p, r, r, r)
			assert.False(t, strings.Contains(printed, got.SecretKey), "the SecretKey printed")
			assert.False(t, got.Token != "" && strings.Contains(printed, got.Token), "the token printed")

			calls := v.sts.Calls()
			require.Len(t, calls, tt.wantSTS)
			if tt.wantSTS == 0 {
				return
			}
			assert.Empty(t, calls[0].Code, "the emulator accepted the signature")
			assert.Equal(t, got.SecretID, calls[0].IssuedSecretID)
			assert.Equal(t, "cvm-project", calls[0].RoleSessionName, "no function name: the bare default")
			assert.EqualValues(t, 3600, calls[0].DurationSeconds)
			want := tt.wantBaseID
			if want == "instance" {
				issued := v.meta.Issued()
				require.Len(t, issued, 1)
				want = issued[0].SecretID
				assert.True(t, calls[0].HasToken, "the instance role's token travels with its key")
			}
			assert.Equal(t, want, calls[0].SecretID)
		})
	}
}

func TestAssumeRoleRefusalCarriesSTSCodeAndRequestID(t *testing.T) {
	v := newEmu(t)
	v.env[credentials.EnvRoleARN] = emuRoleARN
	v.env[credentials.EnvSecretID], v.env[credentials.EnvSecretKey] = v.baseID, v.baseKey
	v.sts.Refuse("UnauthorizedOperation", "the caller may not assume the role")
	p, _, err := credentials.FromEnv(v.getenv, v.getenv, v.client, nil)
	require.NoError(t, err)
	_, err = p.Retrieve(context.Background())
	require.ErrorIs(t, err, credentials.ErrAssumeRole)
	var stsErr *credentials.STSError
	require.ErrorAs(t, err, &stsErr)
	calls := v.sts.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, "UnauthorizedOperation", stsErr.Code)
	assert.Equal(t, calls[0].RequestID, stsErr.RequestID)
	assert.Contains(t, err.Error(), calls[0].RequestID)
	assert.NotContains(t, err.Error(), v.baseKey)
}

func TestInstanceRoleFaultsAgainstTheEmulator(t *testing.T) {
	tests := []struct {
		name  string
		fault emulator.MetadataFault
		want  error
	}{
		{"metadata down: no role", emulator.MetadataDown, credentials.ErrNotFound},
		{"the role's keys unreadable", emulator.MetadataCredentialsDown, credentials.ErrMetadataUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEmu(t)
			v.meta.SetRole("r1", 0)
			v.meta.SetFault(tt.fault)
			p, _, err := credentials.FromEnv(v.getenv, v.getenv, v.client, nil)
			require.NoError(t, err)
			_, err = p.Retrieve(context.Background())
			require.ErrorIs(t, err, tt.want)
			if errors.Is(tt.want, credentials.ErrNotFound) {
				assert.Contains(t, err.Error(), "TENCENTCLOUD_SECRETID", "what was tried is listed")
				assert.Contains(t, err.Error(), "HTTP 503")
			}
		})
	}
}
