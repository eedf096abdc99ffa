package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// VERIFY and KEEP_SECURITY_GROUPS, read by Load.
func TestLoadVerify(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Verify
		wantErr []string
	}{
		{"defaults: verify, keep nothing", map[string]string{}, Verify{Enabled: true}, nil},
		{"blank is unset", map[string]string{EnvVerify: " ", EnvKeepSecurityGroups: ""}, Verify{Enabled: true}, nil},
		{"off", map[string]string{EnvVerify: "false"}, Verify{}, nil},
		{"keep the groups", map[string]string{EnvKeepSecurityGroups: "true"}, Verify{Enabled: true, KeepSecurityGroups: true}, nil},
		{"keeping needs verifying", map[string]string{EnvVerify: "0", EnvKeepSecurityGroups: "1"}, Verify{}, []string{"KEEP_SECURITY_GROUPS=true needs VERIFY=true"}},
		{"both bad, both named", map[string]string{EnvVerify: "yes", EnvKeepSecurityGroups: "maybe"}, Verify{}, []string{`VERIFY="yes"`, `KEEP_SECURITY_GROUPS="maybe"`}},
		{"a bad tuning variable hides no other", map[string]string{EnvMaxRetries: "11", EnvVerify: "0", EnvKeepSecurityGroups: "1"}, Verify{},
			[]string{`MAX_RETRIES="11"`, "KEEP_SECURITY_GROUPS=true needs VERIFY=true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(getenv(tt.env), noFiles(t))
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, m := range tt.wantErr {
					assert.Contains(t, err.Error(), m)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Verify)
		})
	}
}
