package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Temporary credentials are replaced RefreshMargin before they expire (half
// their lifetime before when it is under ShortLifetime). After a failed
// refresh the cached ones are used, without another attempt, for a tenth of
// the time they have left, at most RefreshRetry.
const (
	RefreshMargin = 5 * time.Minute
	ShortLifetime = 10 * time.Minute
	RefreshRetry  = 30 * time.Second
)

// RefreshAt returns when credentials obtained at got, expiring at expires,
// are due for replacement.
func RefreshAt(got, expires time.Time) time.Time {
	margin := RefreshMargin
	if life := expires.Sub(got); life < ShortLifetime {
		margin = life / 2
	}
	return expires.Add(-margin)
}

// errRefreshAborted is what the callers waiting on a refresh get when the
// refresh ended without a result (its fetch panicked).
var errRefreshAborted = errors.New("credentials refresh aborted")

// cache holds one provider's temporary credentials across invocations and
// refreshes them at RefreshAt, one caller fetching for all that arrive
// meanwhile. A failed refresh keeps the cached credentials, with a warning,
// until they expire; expired ones are never returned. Set fetch, now and
// logger; it is safe for concurrent use.
type cache struct {
	fetch  func(context.Context) (Credentials, error)
	now    func() time.Time
	logger *slog.Logger

	mu      sync.Mutex
	creds   Credentials // zero until a fetch succeeds, and again once they expire
	refresh time.Time   // when creds are due for refresh
	failed  bool        // the last refresh failed
	flight  *flight     // the fetch under way; nil when none
}

// flight is one fetch, shared by every caller that waits for it.
type flight struct {
	done  chan struct{} // closed once the fields below are set
	creds Credentials
	err   error
	// leaderGone: the fetching caller's own context ended, so the error
	// says nothing about the provider and a waiter may fetch again.
	leaderGone bool
}

// Retrieve returns the cached credentials, or fetches them.
func (c *cache) Retrieve(ctx context.Context) (Credentials, error) {
	for {
		c.mu.Lock()
		now := c.now()
		valid := c.creds.SecretID != "" && !c.creds.Expired(now)
		// Keys that would expire before the caller needs them are due too,
		// unless a refresh just failed (then its pause holds).
		due := !now.Before(c.refresh) || (!c.failed && c.creds.Expired(neededUntil(ctx, now)))
		if valid && (!due || c.flight != nil) {
			creds := c.creds
			c.mu.Unlock()
			return creds, nil
		}
		if f := c.flight; f != nil {
			c.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return Credentials{}, fmt.Errorf("waiting for credentials: %w", ctx.Err())
			}
			if f.err != nil && f.leaderGone && ctx.Err() == nil {
				continue
			}
			return f.creds, f.err
		}
		f := &flight{done: make(chan struct{})}
		c.flight = f
		c.mu.Unlock()
		return c.lead(ctx, f)
	}
}

// lead fetches for every caller waiting on f, then publishes the result.
func (c *cache) lead(ctx context.Context, f *flight) (creds Credentials, err error) {
	err = errRefreshAborted
	defer func() {
		c.mu.Lock()
		c.flight = nil
		c.mu.Unlock()
		f.creds, f.err, f.leaderGone = creds, err, ctx.Err() != nil
		close(f.done)
	}()
	fetched, ferr := c.fetch(ctx)
	return c.settle(ctx, fetched, ferr)
}

// settle caches fetched, or falls back on the still-valid cached
// credentials when the fetch failed.
func (c *cache) settle(ctx context.Context, fetched Credentials, err error) (Credentials, error) {
	c.mu.Lock()
	now := c.now()
	c.failed = err != nil
	if err == nil {
		c.creds, c.refresh = fetched, RefreshAt(now, fetched.Expires)
		refresh := c.refresh
		c.mu.Unlock()
		c.logger.LogAttrs(ctx, slog.LevelInfo, "credentials obtained",
			slog.String("credential_source", fetched.Source),
			slog.Time("expires", fetched.Expires.UTC()),
			slog.Int64("refresh_in_s", int64(refresh.Sub(now)/time.Second)))
		return fetched, nil
	}
	cached := c.creds
	valid := cached.SecretID != "" && !cached.Expired(now)
	if valid {
		c.refresh = now.Add(min(RefreshRetry, cached.Expires.Sub(now)/10))
	} else {
		c.creds = Credentials{}
	}
	c.mu.Unlock()
	if !valid {
		return Credentials{}, err
	}
	c.logger.LogAttrs(ctx, slog.LevelWarn, "credentials refresh failed; using the cached ones until they expire",
		slog.String("credential_source", cached.Source),
		slog.Time("expires", cached.Expires.UTC()),
		slog.Int64("expires_in_s", int64(cached.Expires.Sub(now)/time.Second)),
		slog.String("error", err.Error()))
	return cached, nil
}

// String keeps fmt from printing the cached keys of a provider that embeds
// a cache (fmt ignores the methods of unexported fields).
func (c *cache) String() string { return "credentials provider (keys not shown)" }

// GoString is String, for %#v.
func (c *cache) GoString() string { return c.String() }
