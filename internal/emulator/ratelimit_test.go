package emulator

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable clock for SetClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newClockedEnv is newEnv with a clock the test moves, starting at testNow.
func newClockedEnv(t *testing.T) (*env, *clock) {
	t.Helper()
	v := newEnv(t)
	c := &clock{t: testNow}
	v.e.SetClock(c.now)
	return v, c
}

func TestDefaultRateLimits(t *testing.T) {
	assert.Equal(t, map[string]int{
		"ModifyInstancesProject": 10, "DescribeInstances": 40, "ModifyInstancesAttribute": 10, "DescribeRegions": 20,
		"AttachResourcesTag": 20, "DetachResourcesTag": 20, "DescribeProjects": 20, "Invoke": 100,
	}, DefaultRateLimits())
}

// Each action gets its limit in a one-second window, then RequestLimitExceeded
// until the next second, on every endpoint and signature.
func TestRateLimitsPerActionAndWindow(t *testing.T) {
	tests := []struct {
		name   string
		action string
		limit  int
		send   func(t *testing.T, v *env) answer
		old    bool // the legacy old shape
	}{
		{"move api3 v1", Action, 10, func(t *testing.T, v *env) answer { return v.postV1(t, PathAPI3, permKey, nil) }, false},
		{"move api3 TC3", Action, 10, func(t *testing.T, v *env) answer { return v.postTC3(t, permKey, defaultTC3Body, nil, nil) }, false},
		{"move legacy old shape", Action, 10, func(t *testing.T, v *env) answer { return v.postV1(t, PathLegacy, permKey, del("Version")) }, true},
		{"describe api3 TC3", ActionDescribe, 40, func(t *testing.T, v *env) answer { return v.describeTC3(t, `{}`) }, false},
		{"describe legacy", ActionDescribe, 40, func(t *testing.T, v *env) answer { return v.describeV1(t, PathLegacy, nil) }, false},
		{"attribute api3 v1", ActionModifyAttribute, 10, func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, attrV1("sg-aaaa0001"))
		}, false},
		{"attribute api3 TC3", ActionModifyAttribute, 10, func(t *testing.T, v *env) answer {
			return v.postTC3(t, permKey, `{"InstanceIds":["ins-aaaa0001"],"SecurityGroups":["sg-aaaa0001"]}`, attrTC3, nil)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := newClockedEnv(t)
			v.e.EnableRateLimits()
			c.advance(300 * time.Millisecond) // windows are whole seconds of the clock, not counted from the first request
			for i := range tt.limit {
				a := tt.send(t, v)
				require.Empty(t, a.Code, "request %d: %s", i+1, a.Message)
			}
			a := tt.send(t, v)
			assert.Equal(t, CodeRequestLimitExceeded, a.Code)
			assert.Equal(t, 200, a.Status)
			assert.Equal(t, tt.old, a.Old)
			if tt.old {
				assert.Equal(t, 4000, a.LegacyCode)
			} else {
				assert.NotEmpty(t, a.RequestID)
			}
			assert.Contains(t, a.Message, tt.action)
			calls := v.e.Calls()
			assert.Equal(t, CodeRequestLimitExceeded, calls[len(calls)-1].Code)
			assert.Equal(t, map[string]int{tt.action: 1}, v.e.Throttled())

			c.advance(699 * time.Millisecond) // still the same second
			assert.Equal(t, CodeRequestLimitExceeded, tt.send(t, v).Code)
			c.advance(time.Millisecond) // the next second
			a = tt.send(t, v)
			assert.Empty(t, a.Code, a.Message)
			assert.Equal(t, map[string]int{tt.action: 2}, v.e.Throttled())
		})
	}
}

// One action's window does not use up another's; an action without a
// limit is never refused; off by default and after SetRateLimits(nil).
func TestRateLimitsAreIndependent(t *testing.T) {
	v, _ := newClockedEnv(t)
	for range 50 {
		require.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code, "off by default")
	}
	assert.Empty(t, v.e.Throttled())

	v.e.SetRateLimits(map[string]int{Action: 2})
	for range 2 {
		require.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code)
	}
	assert.Equal(t, CodeRequestLimitExceeded, v.postV1(t, PathAPI3, permKey, nil).Code)
	for range 50 {
		require.Empty(t, v.describeTC3(t, `{}`).Code, "DescribeInstances has no limit here")
	}
	assert.Equal(t, map[string]int{Action: 1}, v.e.Throttled())

	v.e.SetRateLimits(nil)
	assert.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code)
	assert.Empty(t, v.e.Throttled())
}

// Requests refused before the limit (authentication, unknown action) are
// not counted: they neither use the window up nor count as throttled.
func TestRateLimitsCountAuthenticatedRequestsOnly(t *testing.T) {
	v, _ := newClockedEnv(t)
	v.e.SetRateLimits(map[string]int{Action: 1})
	for range 5 {
		require.Equal(t, CodeSecretIDNotFound, v.postV1(t, PathAPI3, unknownKey, nil).Code)
		require.Equal(t, CodeInvalidAction, v.postV1(t, PathAPI3, permKey, set("Action", "StopInstances")).Code)
	}
	assert.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code)
	assert.Equal(t, CodeRequestLimitExceeded, v.postV1(t, PathAPI3, tempKey, nil).Code, "another key of the account shares the window")
	assert.Equal(t, map[string]int{Action: 1}, v.e.Throttled())
}

// Concurrent clients share the window: exactly the limit gets through.
func TestRateLimitsUnderConcurrency(t *testing.T) {
	v, _ := newClockedEnv(t)
	v.e.SetRateLimits(map[string]int{ActionDescribe: 7})
	var wg sync.WaitGroup
	codes := make([]string, 30)
	for i := range codes {
		wg.Go(func() { codes[i] = v.describeTC3(t, `{}`).Code })
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == "" {
			ok++
		}
	}
	assert.Equal(t, 7, ok)
	assert.Equal(t, map[string]int{ActionDescribe: 23}, v.e.Throttled())
}
