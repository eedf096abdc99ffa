package retry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestStampsAreIncreasing(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	tests := []struct {
		at   []time.Duration
		want []int64
	}{
		{[]time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}, []int64{1700000000, 1700000001, 1700000002}},
		{[]time.Duration{0, 1500 * time.Millisecond, 5 * time.Second}, []int64{1700000000, 1700000001, 1700000005}},
	}
	for _, tt := range tests {
		var s Stamps
		var got []int64
		for _, d := range tt.at {
			got = append(got, s.Next(t0.Add(d)))
		}
		assert.Equal(t, tt.want, got)
	}
}

func TestJudgements(t *testing.T) {
	assert.True(t, Network(syscall.ECONNRESET))
	assert.False(t, Network(context.DeadlineExceeded))
	assert.False(t, Network(&net.DNSError{IsNotFound: true}))
	assert.False(t, Network(nil))
	assert.True(t, Status(502))
	assert.True(t, Status(429))
	assert.False(t, Status(404))
	assert.True(t, Code("RequestLimitExceeded.UinLimitExceeded"))
	assert.True(t, Code("InternalError"))
	assert.False(t, Code("ResourceNotFound.RoleNotFound"))
	assert.False(t, Throttle("RequestLimitExceededX"))
	assert.Equal(t, 4*time.Second, Backoff(3, time.Second, 8*time.Second, func(n int64) int64 { return n - 1 }))
	assert.Equal(t, 8*time.Second, Backoff(30, time.Second, 8*time.Second, func(n int64) int64 { return n - 1 }))
	assert.Zero(t, Backoff(3, time.Second, 0, func(n int64) int64 { return n - 1 }), "min(max, …) with max 0")
	assert.ErrorIs(t, Sleep(canceled(), time.Hour), context.Canceled)
	_ = errors.New
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestWithoutURL(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"a *url.Error loses its method and URL", &url.Error{Op: "Post", URL: "https://cvm.example/", Err: refused}, refused},
		{"a wrapped one too", fmt.Errorf("sending: %w", &url.Error{Op: "Get", URL: "http://169.254.0.23/", Err: refused}), refused},
		{"any other error is kept", refused, refused},
		{"nil stays nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, WithoutURL(tt.err))
		})
	}
}
