package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is the injected clock of the unit tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2024, 5, 20, 2, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fetcher issues numbered temporary keys that live lifetime, or fails
// with err; it counts its calls.
type fetcher struct {
	clock    *fakeClock
	lifetime time.Duration
	calls    atomic.Int64
	mu       sync.Mutex
	err      error
}

func (f *fetcher) fetch(context.Context) (Credentials, error) {
	n := f.calls.Add(1)
	f.mu.Lock()
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{
		SecretID: fmt.Sprintf("AKIDtmp%d", n), SecretKey: fmt.Sprintf("tmp-key-%d", n), Token: fmt.Sprintf("tmp-token-%d", n),
		Source: "assumed-role:test", Expires: f.clock.Now().Add(f.lifetime),
	}, nil
}

func (f *fetcher) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func newCache(f *fetcher, logs *bytes.Buffer) *cache {
	return &cache{fetch: f.fetch, now: f.clock.Now, logger: slog.New(slog.NewJSONHandler(logs, nil))}
}

func TestRefreshAt(t *testing.T) {
	got := time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		lifetime, wantBeforeExpiry time.Duration
	}{
		{time.Hour, 5 * time.Minute},
		{12 * time.Hour, 5 * time.Minute},
		{10 * time.Minute, 5 * time.Minute},
		{9 * time.Minute, 270 * time.Second}, // under 10 minutes: half the lifetime
		{2 * time.Minute, time.Minute},
		{4 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.lifetime.String(), func(t *testing.T) {
			expires := got.Add(tt.lifetime)
			assert.Equal(t, expires.Add(-tt.wantBeforeExpiry), RefreshAt(got, expires))
		})
	}
}

func TestCacheRefreshesBeforeExpiry(t *testing.T) {
	tests := []struct {
		name                  string
		lifetime, refreshesAt time.Duration
	}{
		{"an hour: 5 minutes before", time.Hour, 55 * time.Minute},
		{"8 minutes: half-way", 8 * time.Minute, 4 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			f := &fetcher{clock: clock, lifetime: tt.lifetime}
			c := newCache(f, &bytes.Buffer{})
			ctx := context.Background()

			first, err := c.Retrieve(ctx)
			require.NoError(t, err)
			assert.Equal(t, "AKIDtmp1", first.SecretID)
			clock.Advance(tt.refreshesAt - time.Second)
			again, err := c.Retrieve(ctx)
			require.NoError(t, err)
			assert.Equal(t, first, again, "cached until the refresh point")
			assert.EqualValues(t, 1, f.calls.Load())

			clock.Advance(time.Second)
			next, err := c.Retrieve(ctx)
			require.NoError(t, err)
			assert.Equal(t, "AKIDtmp2", next.SecretID, "refreshed at the refresh point, before expiry")
			assert.EqualValues(t, 2, f.calls.Load())
		})
	}
}

func TestCacheKeepsValidCredentialsWhenARefreshFails(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, lifetime: time.Hour}
	var logs bytes.Buffer
	c := newCache(f, &logs)
	ctx := context.Background()
	first, err := c.Retrieve(ctx)
	require.NoError(t, err)

	f.fail(fmt.Errorf("%w: STS answered InternalError.SystemError", ErrAssumeRole))
	clock.Advance(56 * time.Minute) // due for refresh, 4 minutes left
	got, err := c.Retrieve(ctx)
	require.NoError(t, err, "a failed refresh with valid cached credentials is no failure")
	assert.Equal(t, first, got)
	assert.Contains(t, logs.String(), `"level":"WARN"`)
	assert.Contains(t, logs.String(), "credentials refresh failed")
	assert.Contains(t, logs.String(), "InternalError.SystemError")
	assert.NotContains(t, logs.String(), first.SecretKey)
	assert.NotContains(t, logs.String(), first.Token)

	// No other attempt for a tenth of the time left (24 s), then again.
	calls := f.calls.Load()
	clock.Advance(20 * time.Second)
	_, err = c.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, calls, f.calls.Load(), "no retry within the back-off")
	clock.Advance(5 * time.Second)
	_, err = c.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, calls+1, f.calls.Load(), "retried after the back-off")

	// Once they expire they are never returned, whatever the refresh says.
	clock.Advance(4 * time.Minute)
	got, err = c.Retrieve(ctx)
	require.ErrorIs(t, err, ErrAssumeRole)
	assert.Equal(t, Credentials{}, got, "expired credentials are never used")
}

func TestCacheNeverReturnsExpiredCredentials(t *testing.T) {
	clock := newClock()
	f := &fetcher{clock: clock, lifetime: 4 * time.Second}
	c := newCache(f, &bytes.Buffer{})
	ctx := context.Background()
	for range 50 {
		got, err := c.Retrieve(ctx)
		require.NoError(t, err)
		require.False(t, got.Expired(clock.Now()), "returned expired at %s: %s", clock.Now(), got)
		require.GreaterOrEqual(t, got.Expires.Sub(clock.Now()), 2*time.Second-500*time.Millisecond, "at least about half the lifetime left")
		clock.Advance(700 * time.Millisecond)
	}
}

func TestCacheFetchesOnceUnderConcurrency(t *testing.T) {
	tests := []struct {
		name     string
		primed   time.Duration // how long after a first fetch (of keys living an hour) the callers come; 0: none
		fetchErr error         // what the fetch answers
		wantErr  error
		wantID   string // every caller's SecretId; "" when the callers differ
	}{
		{"nothing cached", 0, nil, nil, "AKIDtmp1"},
		{"nothing cached, the fetch fails", 0, ErrAssumeRole, ErrAssumeRole, ""},
		{"cached and due: the others go on with the cached keys", 56 * time.Minute, nil, nil, ""},
		{"cached but expired: the others wait for the new keys", 61 * time.Minute, nil, nil, "AKIDtmp2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clock := newClock()
				f := &fetcher{clock: clock, lifetime: time.Hour}
				release := make(chan struct{})
				c := newCache(f, &bytes.Buffer{})
				if tt.primed > 0 {
					_, err := c.Retrieve(context.Background())
					require.NoError(t, err)
					clock.Advance(tt.primed)
				}
				f.err = tt.fetchErr
				c.fetch = func(ctx context.Context) (Credentials, error) {
					<-release // every other caller arrives while this one fetches
					return f.fetch(ctx)
				}
				before := f.calls.Load()

				const callers = 50
				results := make([]Credentials, callers)
				errs := make([]error, callers)
				var wg sync.WaitGroup
				for i := range callers {
					wg.Go(func() { results[i], errs[i] = c.Retrieve(context.Background()) })
				}
				synctest.Wait() // all 50 are inside Retrieve, blocked or done
				close(release)
				wg.Wait()

				assert.EqualValues(t, 1, f.calls.Load()-before, "one fetch for 50 concurrent callers")
				for i := range callers {
					if tt.wantErr != nil {
						assert.ErrorIs(t, errs[i], tt.wantErr)
						continue
					}
					require.NoError(t, errs[i])
					assert.False(t, results[i].Expired(clock.Now()), "caller %d got expired keys", i)
					if tt.wantID != "" {
						assert.Equal(t, tt.wantID, results[i].SecretID, "every caller shares the one fetch")
					}
				}
			})
		})
	}
}

func TestCacheWaiterFetchesAgainWhenTheLeaderGaveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newClock()
		f := &fetcher{clock: clock, lifetime: time.Hour}
		c := newCache(f, &bytes.Buffer{})
		first := true
		c.fetch = func(ctx context.Context) (Credentials, error) {
			if first { // the leader's invocation ends during its fetch
				first = false
				<-ctx.Done()
				return Credentials{}, fmt.Errorf("%w: no answer before the invocation's deadline: %w", ErrAssumeRole, ctx.Err())
			}
			return f.fetch(ctx)
		}
		leaderCtx, cancelLeader := context.WithCancel(context.Background())
		var leaderErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, leaderErr = c.Retrieve(leaderCtx) })
		synctest.Wait()
		var got Credentials
		var err error
		wg.Go(func() { got, err = c.Retrieve(context.Background()) })
		synctest.Wait()
		cancelLeader()
		wg.Wait()

		assert.ErrorIs(t, leaderErr, context.Canceled)
		require.NoError(t, err, "the waiter's own invocation still has time: it fetches itself")
		assert.Equal(t, "AKIDtmp1", got.SecretID)
	})
}

func TestCacheWaiterHonoursItsOwnDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newClock()
		f := &fetcher{clock: clock, lifetime: time.Hour}
		c := newCache(f, &bytes.Buffer{})
		release := make(chan struct{})
		c.fetch = func(ctx context.Context) (Credentials, error) { <-release; return f.fetch(ctx) }
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = c.Retrieve(context.Background()) })
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.Retrieve(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		wg.Wait()
	})
}

func TestCacheReleasesWaitersWhenTheFetchPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &cache{now: newClock().Now, logger: slog.New(slog.DiscardHandler)}
		release := make(chan struct{})
		c.fetch = func(context.Context) (Credentials, error) { <-release; panic("boom") }
		var wg sync.WaitGroup
		wg.Go(func() {
			defer func() { _ = recover() }()
			_, _ = c.Retrieve(context.Background())
		})
		synctest.Wait()
		var err error
		wg.Go(func() { _, err = c.Retrieve(context.Background()) })
		synctest.Wait()
		close(release)
		wg.Wait()
		assert.True(t, errors.Is(err, errRefreshAborted), "a waiter is released with an error, not left hanging: %v", err)
	})
}

// BenchmarkRetrieveCached is what a warm invocation pays for temporary
// keys that are cached: a lock, a clock read, a copy.
func BenchmarkRetrieveCached(b *testing.B) {
	f := &fetcher{clock: newClock(), lifetime: time.Hour}
	c := &cache{fetch: f.fetch, now: time.Now, logger: slog.New(slog.DiscardHandler)}
	f.clock.t = time.Now()
	ctx := context.Background()
	if _, err := c.Retrieve(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Retrieve(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
