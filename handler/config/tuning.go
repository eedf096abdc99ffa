package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/ratelimit"
)

// The environment variables that tune retries, throughput and partial
// failures, with their defaults.
const (
	EnvMaxRetries     = "MAX_RETRIES"     // retries after a call's first attempt: 0 to 10, default 3
	EnvMaxConcurrency = "MAX_CONCURRENCY" // batches in flight: 1 to 100, default 4
	EnvRateLimit      = "RATE_LIMIT"      // requests a second to the API: 0 (no limit) to 1000, default 10
	EnvSkipInvalid    = "SKIP_INVALID"    // isolate offending instances when a request does not say: default false

	DefaultMaxRetries     = 3
	DefaultMaxConcurrency = 4
	DefaultRateLimit      = 10 // ModifyInstancesProject's documented limit
)

// Tuning is what the four variables set.
type Tuning struct {
	MaxRetries     int
	MaxConcurrency int
	RateLimit      float64 // ModifyInstancesProject's ceiling, requests a second, burst 1; 0: no client-side limit
	SkipInvalid    bool
}

// ReadTuning reads the tuning variables; an empty one takes its default,
// a bad one is an error naming it.
func ReadTuning(getenv func(string) string) (Tuning, error) {
	t := Tuning{MaxRetries: DefaultMaxRetries, MaxConcurrency: DefaultMaxConcurrency, RateLimit: DefaultRateLimit}
	var err error
	if t.MaxRetries, err = envInt(getenv, EnvMaxRetries, t.MaxRetries, 0, 10); err != nil {
		return Tuning{}, err
	}
	if t.MaxConcurrency, err = envInt(getenv, EnvMaxConcurrency, t.MaxConcurrency, 1, 100); err != nil {
		return Tuning{}, err
	}
	if s := strings.TrimSpace(getenv(EnvRateLimit)); s != "" {
		r, perr := strconv.ParseFloat(s, 64)
		if perr != nil || math.IsNaN(r) || r < 0 || r > 1000 {
			return Tuning{}, fmt.Errorf("%s=%q: want requests a second, from 0 (no limit) to 1000", EnvRateLimit, s)
		}
		t.RateLimit = r
	}
	if s := strings.TrimSpace(getenv(EnvSkipInvalid)); s != "" {
		b, perr := strconv.ParseBool(s)
		if perr != nil {
			return Tuning{}, fmt.Errorf("%s=%q: want true or false", EnvSkipInvalid, s)
		}
		t.SkipInvalid = b
	}
	return t, nil
}

func envInt(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want an integer from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

// Apply sets the retries and the rate on c. Throttles (RequestLimitExceeded*,
// HTTP 429) are retried until the deadline rule stops them
// (cvm.RetryPolicy.WithThrottleRetries); other retryable failures get
// MaxRetries. Each action is paced at its own adaptive rate
// (ratelimit.ActionRates: RATE_LIMIT for ModifyInstancesProject, the
// documented limits for the others), cut when the API throttles it and
// grown back while it answers. The rates live on the client, which serves
// every invocation of the warm process: they hold across concurrent
// batches and consecutive invocations alike. RATE_LIMIT=0: no client-side
// rate at all (the API's own limit still applies).
func (t Tuning) Apply(c *cvm.Client) {
	c.Retry.MaxRetries = t.MaxRetries
	c.Retry = c.Retry.WithThrottleRetries()
	if t.RateLimit == 0 {
		c.Rates = nil
		return
	}
	c.Rates = ratelimit.NewActionRates(ratelimit.ActionLimits(t.RateLimit))
}

// RateLimitOf is the client's ModifyInstancesProject ceiling for the log:
// 0 when there is no limit (JSON has no infinity).
func RateLimitOf(c *cvm.Client) float64 {
	if c.Rates == nil {
		return 0
	}
	return c.Rates.Ceiling("ModifyInstancesProject")
}
