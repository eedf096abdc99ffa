package credentials

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flaky is a loopback server whose first answer is a fault (reset:
// the connection is closed without an answer), then good.
type flaky struct {
	mu     sync.Mutex
	fault  string // "reset", "garbage", "502", "throttle", "refuse"
	failAt int    // the request that gets the fault (1 when 0)
	good   func(path string) string
	auths  []string
	n      int
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	first := f.n == max(f.failAt, 1)
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	f.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)
	if first || f.fault == "refuse" {
		switch f.fault {
		case "reset":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		case "garbage":
			_, _ = io.WriteString(w, `{"Response":{"Credent`)
			return
		case "502":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
			return
		case "throttle":
			_, _ = io.WriteString(w, `{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"thr"}}`)
			return
		case "refuse":
			_, _ = io.WriteString(w, `{"Response":{"Error":{"Code":"ResourceNotFound.RoleNotFound","Message":"no"},"RequestId":"nf"}}`)
			return
		}
	}
	_, _ = io.WriteString(w, f.good(r.URL.Path))
}

func (f *flaky) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func TestAssumeRoleRetriesAFaultOnce(t *testing.T) {
	clock := newClock()
	tests := []struct {
		fault     string
		wantCalls int
		wantErr   bool
	}{
		{"reset", 2, false},
		{"garbage", 2, false},
		{"502", 2, false},
		{"throttle", 2, false},
		{"refuse", 1, true}, // STS's refusal is not retried
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			f := &flaky{fault: tt.fault, good: func(string) string { return stsSuccess(clock.Now().Add(time.Hour)) }}
			srv := httptest.NewServer(f)
			defer srv.Close()
			p := newAssumeRole(t, srv.Client(), baseCreds(baseToken), clock, func(o *AssumeRoleOptions) { o.Endpoint = srv.URL + "/" })
			got, err := p.Retrieve(context.Background())
			assert.Equal(t, tt.wantCalls, f.count())
			if tt.wantErr {
				require.ErrorIs(t, err, ErrAssumeRole)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, stsSecretID, got.SecretID)
			f.mu.Lock()
			defer f.mu.Unlock()
			assert.NotEqual(t, f.auths[0], f.auths[1], "the retry is signed anew, though the clock stood still")
		})
	}
}

func TestAssumeRoleRetriesAreBounded(t *testing.T) {
	tests := []struct {
		name      string
		deadline  time.Duration
		wantCalls int
	}{
		{"CallRetries", 0, 1 + CallRetries},
		{"no time for a pause before the deadline", 50 * time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeServer{routes: map[string]route{"/": {status: 502, body: "<html>"}}}
			p := newAssumeRole(t, s, baseCreds(""), newClock(), func(o *AssumeRoleOptions) {
				o.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
			})
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := p.Retrieve(ctx)
			require.ErrorIs(t, err, ErrAssumeRole)
			assert.Contains(t, err.Error(), "HTTP 502")
			assert.Equal(t, tt.wantCalls, s.count())
			assertBodiesClosed(t, s)
		})
	}
}

func TestInstanceRoleRetriesAFaultOnce(t *testing.T) {
	clock := newClock()
	tests := []struct {
		fault  string
		failAt int // 1: reading the role's name; 2: its keys
	}{
		{"reset", 1}, {"502", 1},
		{"reset", 2}, {"502", 2}, {"garbage", 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s at read %d", tt.fault, tt.failAt), func(t *testing.T) {
			f := &flaky{fault: tt.fault, failAt: tt.failAt, good: func(path string) string {
				if path == MetadataCredentialsPath {
					return roleName
				}
				return metadataCredentialsJSON(clock.Now().Add(time.Hour), "Success")
			}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			p, err := NewInstanceRole(InstanceRoleOptions{Endpoint: srv.URL, Calls: Calls{HTTP: srv.Client(), Now: clock.Now, Sleep: noSleep}})
			require.NoError(t, err)
			got, err := p.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tmpSecretID, got.SecretID)
			assert.Equal(t, 3, f.count(), "the name, the keys, and one retry")
		})
	}
}

func TestInstanceRoleProbeIsNotRetriedWhenNothingListens(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var n int
	counting := doerFunc(func(r *http.Request) (*http.Response, error) {
		n++
		return http.DefaultClient.Do(r)
	})
	p, err := NewInstanceRole(InstanceRoleOptions{Endpoint: url, Calls: Calls{HTTP: counting, Sleep: noSleep}})
	require.NoError(t, err)
	_, err = p.Retrieve(context.Background())
	require.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, 1, n, "a refused connection: no metadata service, no retry")
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// No retry starts when the deadline leaves less than CallMinTimeLeft.
func TestCallsAreNotRetriedCloseToTheDeadline(t *testing.T) {
	tests := []struct {
		name      string
		deadline  time.Duration // 0: none
		wantCalls int
	}{
		{"no deadline", 0, 3},
		{"a deadline far off", time.Minute, 3},
		{"less than CallMinTimeLeft left", CallMinTimeLeft / 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &flaky{fault: "502", good: func(path string) string {
				if path == MetadataCredentialsPath {
					return roleName
				}
				return metadataCredentialsJSON(time.Now().Add(time.Hour), "Success")
			}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			p, err := NewInstanceRole(InstanceRoleOptions{Endpoint: srv.URL, Calls: Calls{HTTP: srv.Client(), Sleep: noSleep}})
			require.NoError(t, err)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, _ = p.Retrieve(ctx)
			assert.Equal(t, tt.wantCalls, f.count())
		})
	}
}

// A dial that times out (the HTTP client's own dial timeout, 5 s in
// handler's transport) before the call's timeout and the invocation's
// deadline is a network failure: both providers try again.
func TestCallsRetryADialTimeout(t *testing.T) {
	_, dialErr := (&net.Dialer{Timeout: time.Nanosecond}).DialContext(context.Background(), "tcp", "192.0.2.1:80")
	require.ErrorIs(t, dialErr, context.DeadlineExceeded, "a dial timeout is an i/o timeout")
	clock := newClock()
	s := &fakeServer{routes: map[string]route{
		"/":                                {status: 200, body: stsSuccess(clock.Now().Add(time.Hour))},
		MetadataCredentialsPath:            {status: 200, body: roleName},
		MetadataCredentialsPath + roleName: {status: 200, body: metadataCredentialsJSON(clock.Now().Add(time.Hour), "Success")},
	}}
	var n int
	dialTimesOutFirst := doerFunc(func(r *http.Request) (*http.Response, error) {
		if n++; n == 1 {
			return nil, &url.Error{Op: r.Method, URL: r.URL.String(), Err: dialErr}
		}
		return s.Do(r)
	})
	providers := map[string]Provider{
		"sts":      newAssumeRole(t, dialTimesOutFirst, baseCreds(""), clock, nil),
		"metadata": newInstanceRole(t, dialTimesOutFirst, clock),
	}
	for name, p := range providers {
		t.Run(name, func(t *testing.T) {
			n = 0
			_, err := p.Retrieve(context.Background())
			require.NoError(t, err)
		})
	}
}
