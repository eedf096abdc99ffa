package config

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm"
)

// The tuning variables, read and applied to the clients by Load (was
// TestNewFromEnvTuning, through NewFromEnv).
func TestLoadTuning(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    Tuning
		wantErr string
	}{
		{map[string]string{}, Tuning{MaxRetries: 3, MaxConcurrency: 4, RateLimit: 10}, ""},
		{map[string]string{EnvMaxRetries: "0", EnvMaxConcurrency: "1", EnvRateLimit: "2.5", EnvSkipInvalid: "true"}, Tuning{MaxRetries: 0, MaxConcurrency: 1, RateLimit: 2.5, SkipInvalid: true}, ""},
		{map[string]string{EnvMaxRetries: " 10 ", EnvMaxConcurrency: "100", EnvRateLimit: "1000", EnvSkipInvalid: "0"}, Tuning{MaxRetries: 10, MaxConcurrency: 100, RateLimit: 1000}, ""},
		{map[string]string{EnvMaxRetries: "-1"}, Tuning{}, "MAX_RETRIES"},
		{map[string]string{EnvMaxRetries: "11"}, Tuning{}, "MAX_RETRIES"},
		{map[string]string{EnvMaxRetries: "three"}, Tuning{}, "MAX_RETRIES"},
		{map[string]string{EnvMaxConcurrency: "0"}, Tuning{}, "MAX_CONCURRENCY"},
		{map[string]string{EnvMaxConcurrency: "101"}, Tuning{}, "MAX_CONCURRENCY"},
		{map[string]string{EnvRateLimit: "0"}, Tuning{MaxRetries: 3, MaxConcurrency: 4, RateLimit: math.Inf(1)}, ""},
		{map[string]string{EnvRateLimit: "-1"}, Tuning{}, "RATE_LIMIT"},
		{map[string]string{EnvRateLimit: "1001"}, Tuning{}, "RATE_LIMIT"},
		{map[string]string{EnvRateLimit: "NaN"}, Tuning{}, "RATE_LIMIT"},
		{map[string]string{EnvRateLimit: "fast"}, Tuning{}, "RATE_LIMIT"},
		{map[string]string{EnvSkipInvalid: "yes"}, Tuning{}, "SKIP_INVALID"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			cfg, err := load(getenv(tt.env), noFiles(t))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			got := cfg.Tuning
			assert.Equal(t, tt.want.MaxRetries, got.MaxRetries)
			assert.Equal(t, tt.want.MaxConcurrency, got.MaxConcurrency)
			assert.Equal(t, tt.want.SkipInvalid, got.SkipInvalid)
			c := cfg.CVM
			assert.Equal(t, tt.want.MaxRetries, c.Retry.MaxRetries)
			assert.Equal(t, cvm.DefaultThrottleBaseDelay, c.Retry.ThrottleBaseDelay, "throttles retried until the deadline")
			if math.IsInf(tt.want.RateLimit, 1) {
				assert.Zero(t, got.RateLimit, "RATE_LIMIT=0 is read as 0")
				assert.Nil(t, c.Rates, "0: no client-side limit")
			} else {
				require.NotNil(t, c.Rates)
				assert.InDelta(t, tt.want.RateLimit, got.RateLimit, 1e-9)
				assert.Equal(t, map[string]float64{"ModifyInstancesProject": tt.want.RateLimit}, c.Rates.Ceilings, "every other action its documented limit")
			}
		})
	}
}
