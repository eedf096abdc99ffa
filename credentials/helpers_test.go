package credentials

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// route is one canned answer.
type route struct {
	status int
	body   string
	err    error // a transport error instead of an answer
}

// fakeServer answers by path, counts the requests and the bodies closed,
// and keeps every request with its body.
type fakeServer struct {
	routes map[string]route
	opened atomic.Int64
	closed atomic.Int64

	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func (s *fakeServer) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, string(body))
	s.mu.Unlock()
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		rt = route{status: http.StatusNotFound, body: "not found"}
	}
	if rt.err != nil {
		return nil, rt.err
	}
	s.opened.Add(1)
	return &http.Response{
		StatusCode: rt.status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       &closeCounter{Reader: strings.NewReader(rt.body), closed: &s.closed},
	}, nil
}

func (s *fakeServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

type closeCounter struct {
	io.Reader
	closed *atomic.Int64
	once   sync.Once
}

func (c *closeCounter) Close() error {
	c.once.Do(func() { c.closed.Add(1) })
	return nil
}

// assertBodiesClosed checks that every answer's body was closed.
func assertBodiesClosed(t *testing.T, s *fakeServer) {
	t.Helper()
	assert.Equal(t, s.opened.Load(), s.closed.Load(), "every body is closed")
}

// assertNoSecret checks that text holds none of the secrets.
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" {
			assert.NotContains(t, text, s)
		}
	}
}

// deadlineRecorder answers with a transport error and keeps how long the
// request's context had left when it was sent.
type deadlineRecorder struct {
	mu   sync.Mutex
	left []time.Duration
}

func (d *deadlineRecorder) Do(r *http.Request) (*http.Response, error) {
	dl, ok := r.Context().Deadline()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !ok {
		d.left = append(d.left, -1)
	} else {
		d.left = append(d.left, time.Until(dl))
	}
	return nil, errors.New("connection refused")
}

// blocker answers only when the request's context ends, or after 3 s
// (so that a call without a deadline fails the test rather than hang it).
type blocker struct{}

func (blocker) Do(r *http.Request) (*http.Response, error) {
	select {
	case <-r.Context().Done():
		return nil, r.Context().Err()
	case <-time.After(3 * time.Second):
		return nil, errors.New("blocker: no deadline ended the call")
	}
}

// staticProvider returns creds or err, counting calls.
type staticProvider struct {
	creds Credentials
	err   error
	calls atomic.Int64
}

func (s *staticProvider) Retrieve(context.Context) (Credentials, error) {
	s.calls.Add(1)
	return s.creds, s.err
}

func (s *staticProvider) String() string { return "static" }

// noSleep skips the pauses between attempts.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
