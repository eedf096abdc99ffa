package emulator

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableAccessors(t *testing.T) {
	e := New()
	assert.Empty(t, e.Instances())
	assert.Empty(t, e.Calls())
	e.AddInstances(Instance{ID: "ins-cccc0003"}, Instance{ID: "ins-aaaa0001", ProjectID: 3}, Instance{ID: "ins-bbbb0002"})
	e.AddInstances(Instance{ID: "ins-aaaa0001", ProjectID: 4, LoadBalanced: true}) // replaces

	assert.Equal(t, []Instance{
		{ID: "ins-aaaa0001", ProjectID: 4, LoadBalanced: true},
		{ID: "ins-bbbb0002"},
		{ID: "ins-cccc0003"},
	}, e.Instances())
	in, ok := e.Instance("ins-aaaa0001")
	assert.True(t, ok)
	assert.Equal(t, Instance{ID: "ins-aaaa0001", ProjectID: 4, LoadBalanced: true}, in)
	_, ok = e.Instance("ins-zzzz0001")
	assert.False(t, ok)
}

// ServeHTTP works without a server too: the signature covers the Host the
// request names.
func TestServeHTTPDirectly(t *testing.T) {
	v := &env{e: New(), host: "example.com"}
	v.e.SetClock(func() time.Time { return testNow })
	v.e.AddKey(permKey)
	v.e.AddInstances(testTable()...)
	p := v.v1Params(t, http.MethodGet, PathAPI3, permKey, "HmacSHA256", 0, nil)
	form := url.Values{}
	for k, val := range p {
		form.Set(k, val)
	}
	w := httptest.NewRecorder()
	v.e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?"+form.Encode(), nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `{"Response":{"RequestId":"`)
	assert.Equal(t, int64(1045), projects(v.e)["ins-aaaa0002"])
}

func TestOtherPathsAndMethods(t *testing.T) {
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode           string
		wantEndpoint       string
		wantOld            bool
	}{
		{"other path", http.MethodPost, "/v3/index.php", http.StatusNotFound, CodeUnsupportedOperation, "", false},
		{"PUT on api3", http.MethodPut, PathAPI3, http.StatusMethodNotAllowed, CodeUnsupportedProtocol, EndpointAPI3, false},
		{"DELETE on legacy", http.MethodDelete, PathLegacy, http.StatusMethodNotAllowed, CodeUnsupportedProtocol, EndpointLegacy, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			req, err := http.NewRequest(tt.method, v.base+tt.path, nil)
			require.NoError(t, err)
			a := do(t, req)
			assert.Equal(t, tt.wantStatus, a.Status)
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Equal(t, tt.wantOld, a.Old)
			calls := v.e.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, tt.wantEndpoint, calls[0].Endpoint)
			assert.Equal(t, tt.wantCode, calls[0].Code)
		})
	}
}

// Concurrent requests each get their own RequestId and are all recorded,
// and the table ends in the state of one of them.
func TestConcurrentRequestsUniqueRequestIDs(t *testing.T) {
	v := newEnv(t)
	seen := make(chan Call, 64)
	v.e.OnCall(func(c Call) { seen <- c })
	const n = 40
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var a answer
			if i%2 == 0 {
				a = v.postTC3(t, permKey, defaultTC3Body, nil, nil)
			} else {
				a = v.postV1(t, PathAPI3, tempKey, set("ProjectId", "1045"))
			}
			assert.Empty(t, a.Code, a.Message)
			ids[i] = a.RequestID
		})
	}
	wg.Wait()
	close(seen)

	unique := map[string]bool{}
	for _, id := range ids {
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
		unique[id] = true
	}
	assert.Len(t, unique, n)
	calls := v.e.Calls()
	assert.Len(t, calls, n)
	observed := 0
	for c := range seen {
		assert.True(t, unique[c.RequestID])
		observed++
	}
	assert.Equal(t, n, observed, "OnCall sees every call")
	assert.Equal(t, int64(1045), projects(v.e)["ins-aaaa0001"])
}

// Calls are a copy: changing them changes nothing in the emulator.
func TestCallsIsACopy(t *testing.T) {
	v := newEnv(t)
	a := v.postV1(t, PathAPI3, permKey, nil)
	require.Empty(t, a.Code)
	calls := v.e.Calls()
	require.Len(t, calls, 1)
	calls[0].InstanceIDs[0] = "changed"
	calls[0].Code = "changed"
	again := v.e.Calls()
	assert.Equal(t, "ins-aaaa0001", again[0].InstanceIDs[0])
	assert.Empty(t, again[0].Code)
}

func TestSeedInstances(t *testing.T) {
	in, err := SeedInstances(3)
	require.NoError(t, err)
	assert.Equal(t, []Instance{{ID: "ins-00000001"}, {ID: "ins-00000002"}, {ID: "ins-00000003"}, {ID: "ins-lb000001", LoadBalanced: true}}, in)
	for _, i := range in {
		assert.Regexp(t, instanceIDPattern, i.ID)
	}
	in, err = SeedInstances(0)
	require.NoError(t, err)
	assert.Empty(t, in)
	_, err = SeedInstances(-1)
	assert.ErrorContains(t, err, "-1")
	_, err = SeedInstances(100_000_000)
	assert.Error(t, err)
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr    string
		wantErr error // nil: accepted
	}{
		{"127.0.0.1:9000", nil},
		{"127.0.0.2:0", nil},
		{"[::1]:9000", nil},
		{"localhost:9000", nil},
		{":9000", ErrNotLoopback},
		{"0.0.0.0:9000", ErrNotLoopback},
		{"[::]:9000", ErrNotLoopback},
		{"192.168.1.10:9000", ErrNotLoopback},
		{"example.com:9000", ErrNotLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := CheckLoopback(tt.addr)
			if tt.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			assert.ErrorContains(t, err, tt.addr)
		})
	}
	err := CheckLoopback("127.0.0.1")
	assert.ErrorContains(t, err, "missing port")
	assert.False(t, errors.Is(err, ErrNotLoopback))
}

func TestListenRefusesNonLoopbackAndStops(t *testing.T) {
	_, _, err := New().Listen("0.0.0.0:0")
	require.ErrorIs(t, err, ErrNotLoopback)

	base, stop, err := New().Start()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	stop()
	stop() // idempotent
	_, err = http.Get(base + "/")
	assert.Error(t, err, "the server is stopped")
}
