package cvm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/internal/retry"
	"scf-cvm-project/signer"
	"strconv"
	"sync"
	"time"
)

// The endpoints of the CVM API.
const (
	LegacyEndpoint = "https://cvm.api.qcloud.com/v2/index.php"
	API3Endpoint   = "https://cvm.tencentcloudapi.com/"
	// LegacyPath is the path that makes an endpoint a legacy (API 2.0) one.
	LegacyPath = "/v2/index.php"
)

// maxResponseBytes bounds what is read of an answer; ModifyInstancesProject
// answers are a few hundred bytes, a DescribeInstances page some hundred KB.
const maxResponseBytes = 8 << 20

// Client calls one CVM endpoint with one signature method. Its fields may
// be set after New and before the first Call; it is safe for concurrent use.
// One Client serves every invocation of a warm process, so its Rates and
// what it remembers of recent attempts are shared by all of them.
type Client struct {
	HTTP   credentials.Doer
	Logger *slog.Logger
	// Nonce is the v1 nonce; tests fix it.
	Nonce func() uint32

	// Retry is the retry policy (see New).
	Retry RetryPolicy
	// Rates paces each action at its own adaptive rate
	// (ratelimit.ActionRates, from RATE_LIMIT); nil: no client-side rate.
	Rates *ratelimit.ActionRates
	// Clock, Sleep and Rand time the attempts: the clock of the signing
	// time, the deadline rule, latencies and the rates; a context-aware
	// sleep; and the jitter source (nil: rand.Int64N). Tests replace them.
	Clock func() time.Time
	Sleep func(context.Context, time.Duration) error
	Rand  func(n int64) int64

	endpoint *url.URL
	legacy   bool
	method   signer.Method
	service  string // "cvm", or NewService's
	version  string
	recent   recentAttempts
}

// New returns a client for endpoint (a URL) signing with method. The legacy
// endpoint (path /v2/index.php) takes only the v1 methods.
func New(endpoint string, method signer.Method, httpClient credentials.Doer) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("cvm: endpoint %q is not an http(s) URL", endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	legacy := u.Path == LegacyPath
	if legacy && method == signer.TC3HmacSHA256 {
		return nil, fmt.Errorf("cvm: the legacy endpoint %s takes HmacSHA1 or HmacSHA256, not %s", endpoint, method)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{
		HTTP:     httpClient,
		Logger:   slog.New(slog.DiscardHandler),
		Nonce:    randomNonce,
		Clock:    time.Now,
		Sleep:    retry.Sleep,
		endpoint: u,
		legacy:   legacy,
		service:  "cvm",
		version:  Version,
		method:   method,
		Retry: RetryPolicy{MaxRetries: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second,
			AttemptTimeout: 30 * time.Second, MinTimeLeft: 200 * time.Millisecond,
			ThrottleBaseDelay: DefaultThrottleBaseDelay, ThrottleMaxDelay: DefaultThrottleMaxDelay, MaxThrottleRetries: DefaultMaxThrottleRetries},
	}, nil
}

// The Tag API (version 2018-08-13) the function writes its own records
// with (AttachResourcesTag, DetachResourcesTag).
const (
	TagEndpoint = "https://tag.tencentcloudapi.com/"
	TagVersion  = "2018-08-13"
)

// NewService returns a client of another Tencent Cloud API 3.0 service
// (its name in TC3's credential scope, "tag" or "scf", and its version) at
// endpoint: the same call path, rates and retries as the CVM client's.
func NewService(service, version, endpoint string, method signer.Method, httpClient credentials.Doer) (*Client, error) {
	c, err := New(endpoint, method, httpClient)
	if err == nil && c.legacy {
		err = fmt.Errorf("cvm: %s has no legacy endpoint (%s)", service, endpoint)
	}
	if err != nil {
		return nil, err
	}
	c.service, c.version = service, version
	return c, nil
}

// Endpoint returns the endpoint URL the client calls.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// Method returns the signature method the client uses.
func (c *Client) Method() signer.Method { return c.method }

// RetryPolicy says how Call retries (Check judges each failure). Its zero
// value makes one attempt.
type RetryPolicy struct {
	// MaxRetries is how many attempts may follow the first (MAX_RETRIES);
	// throttles count among them unless ThrottleBaseDelay is set.
	MaxRetries int
	// BaseDelay and MaxDelay: full jitter from [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)].
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt; 0 leaves only the caller's deadline.
	AttemptTimeout time.Duration
	// MinTimeLeft is the least time before the deadline at which an attempt
	// may start; for a retry, the slowest recent attempt raises it (to at
	// most SlowestShare of the call's time budget).
	MinTimeLeft time.Duration
	// ThrottleBaseDelay, when set, gives throttles their own backoff, not
	// counted in MaxRetries, until no attempt fits before the deadline (or
	// MaxThrottleRetries without one).
	ThrottleBaseDelay, ThrottleMaxDelay time.Duration
	MaxThrottleRetries                  int
}

// The throttle backoff of New's policy: full jitter from 250 ms, capped at
// 1 s, until the deadline (8 retries without one); the adaptive rate
// already paces the retry, so a longer pause leaves the account's limit
// unused (docs/retries-and-limits.md).
const (
	DefaultThrottleBaseDelay  = 250 * time.Millisecond
	DefaultThrottleMaxDelay   = time.Second
	DefaultMaxThrottleRetries = 8
)

// SlowestShare is the most of a call's budget (start to deadline) that the
// slowest recent attempt may demand be left before a retry.
const SlowestShare = 0.5

// Result is what a call's last attempt got: its RequestId (of a refusal
// too), its latency, and the attempts made.
type Result struct {
	RequestID string
	Latency   time.Duration
	Attempts  int
}

// Call sends action in region through retry.Do (Check, c.Retry), each
// attempt signed anew with keys' credentials and paced at the action's rate
// (c.Rates), and decodes the Response into out when not nil. A refusal is
// an *APIError; no API answer wraps ErrUnreachable or ErrBadResponse; no
// usable keys, ErrNotSent; no time left for an attempt (RetryPolicy's
// MinTimeLeft), ErrNoTimeLeft and context.DeadlineExceeded.
func (c *Client) Call(ctx context.Context, keys credentials.Provider, region string, action Action, out any) (Result, error) {
	name := action.ActionName()
	var (
		res     Result
		lastErr error
		source  string
		began   = c.Clock()
		stamps  retry.Stamps
		made    int
	)
	dl, bounded := ctx.Deadline()
	// need is the time the next attempt must have left before the deadline.
	need := func() time.Duration {
		if !bounded || made == 0 {
			return c.Retry.MinTimeLeft
		}
		slowest := min(c.recent.slowest(c.Clock()), time.Duration(float64(dl.Sub(began))*SlowestShare))
		return max(c.Retry.MinTimeLeft, slowest)
	}
	renew, renewed := false, false
	p := retry.Policy{
		Check: func(err error) retry.Verdict {
			// Keys the API says expired (a clock apart, or revoked early) are
			// renewed and the call sent again, once (as the AWS SDKs do).
			if Code(err) == CodeTokenFailure && !renewed {
				renew, renewed = true, true
				return retry.Again
			}
			renew = false
			return Check(err)
		},
		MaxRetries: c.Retry.MaxRetries, Base: c.Retry.BaseDelay, Max: c.Retry.MaxDelay,
		ThrottleBase: c.Retry.ThrottleBaseDelay, ThrottleMax: c.Retry.ThrottleMaxDelay, MaxThrottleRetries: c.Retry.MaxThrottleRetries,
		Room:  func(context.Context) (time.Duration, bool) { return dl.Sub(c.Clock()) - need(), bounded },
		Sleep: c.Sleep, Rand: c.Rand,
	}
	attempts, err := retry.Do(ctx, p, func(n int) error {
		least := need()
		fits := func(at time.Time) bool { return !bounded || dl.Sub(at) >= least }
		if err := c.Rates.Wait(ctx, name, c.Clock, c.Sleep, fits); err != nil {
			if errors.Is(err, ratelimit.ErrTooLate) {
				return fmt.Errorf("%s: %w", name, retry.NoTimeLeft(made, lastErr))
			}
			return fmt.Errorf("%s: waiting for the rate limit: %w", name, err)
		}
		// Keys must outlive the attempt's start by twice the slowest recent
		// attempt (1 s to AttemptTimeout); after CodeTokenFailure, they are
		// renewed whatever their expiry says.
		margin := max(2*c.recent.slowest(c.Clock()), time.Second)
		if c.Retry.AttemptTimeout > 0 {
			margin = min(margin, c.Retry.AttemptTimeout)
		}
		need := c.Clock().Add(margin)
		if renew {
			need = need.Add(24 * time.Hour)
		}
		creds, err := keys.Retrieve(credentials.NeedUntil(ctx, need))
		if err == nil && creds.Expired(c.Clock()) {
			err = ErrKeysExpired
		}
		if err != nil {
			return fmt.Errorf("%s %w: %w", name, ErrNotSent, err)
		}
		source = creds.Source
		res, lastErr = c.attempt(ctx, creds, region, action, stamps.Next(c.Clock()), out)
		made = n
		return lastErr
	}, func(n int, err error, again bool) {
		if n == made { // an attempt that was sent
			c.log(ctx, source, action, n, again, res, err)
		}
	})
	res.Attempts = attempts
	return res, err
}

// CodeTokenFailure is the API's refusal of a temporary key's token, the
// answer to keys that expired.
const CodeTokenFailure = "AuthFailure.TokenFailure"

// attempt builds, signs and sends one request, bounded by AttemptTimeout,
// and remembers its latency unless the caller's deadline cut it.
func (c *Client) attempt(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64, out any) (Result, error) {
	attemptCtx := ctx
	if c.Retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeout(ctx, c.Retry.AttemptTimeout)
		defer cancel()
	}
	req, err := c.newRequest(attemptCtx, creds, region, action, ts)
	if err != nil {
		return Result{}, err
	}
	start := c.Clock()
	c.Rates.Update(action.ActionName(), func(a *ratelimit.AdaptiveRate) { a.Sent(start) })
	res, err := c.send(req, action.ActionName(), out)
	end := c.Clock()
	res.Latency = end.Sub(start)
	if ctx.Err() == nil {
		c.recent.add(end, res.Latency)
	}
	if err != nil && ctx.Err() == nil && attemptCtx.Err() != nil {
		// Our own bound on one attempt: a network timeout, worth another.
		err = fmt.Errorf("%w: no answer within %v", ErrUnreachable, c.Retry.AttemptTimeout)
	}
	if err == nil || Throttled(err) { // a throttle cuts the rate, a success grows it back
		c.Rates.Update(action.ActionName(), func(a *ratelimit.AdaptiveRate) {
			if err != nil {
				a.Throttled(end, start)
			} else {
				a.Succeeded(end)
			}
		})
	}
	return res, err
}

// recentAttempts is a ring of the latest attempts' latencies, kept by a warm
// process, so that no retry starts that would likely not finish in time.
type recentAttempts struct {
	mu   sync.Mutex
	took [16]time.Duration
	at   [16]time.Time
	next int
}

func (r *recentAttempts) add(now time.Time, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.took[r.next], r.at[r.next] = took, now
	r.next = (r.next + 1) % len(r.took)
}

// slowest is the longest attempt that ended within a minute of now.
func (r *recentAttempts) slowest(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s time.Duration
	for i, at := range r.at {
		if !at.IsZero() && now.Sub(at) <= time.Minute && r.took[i] > s {
			s = r.took[i]
		}
	}
	return s
}

func (c *Client) send(req *http.Request, action string, out any) (Result, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return Result{}, fmt.Errorf("cvm: %w", ctxErr)
		}
		return Result{}, fmt.Errorf("%w: %w", ErrUnreachable, retry.WithoutURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return Result{}, fmt.Errorf("cvm: reading the answer: %w", ctxErr)
		}
		return Result{}, fmt.Errorf("%w: reading the answer: %w", ErrUnreachable, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, &StatusError{StatusCode: resp.StatusCode, Body: describeBody(resp, body)}
	}
	r, found, err := signer.DecodeResponse(body, out)
	res := Result{RequestID: r.RequestID}
	switch {
	case err != nil:
		return res, fmt.Errorf("%w: %w", ErrBadResponse, err)
	case !found:
		return res, legacyAnswer(body, action, resp.StatusCode)
	case r.Error != nil:
		return res, &APIError{Action: action, Code: cmp.Or(r.Error.Code, "InternalError.UpstreamBadResponse"),
			Message: r.Error.Message, RequestID: r.RequestID, StatusCode: resp.StatusCode}
	}
	return res, nil
}

// log writes one line per attempt; retry says another attempt follows.
func (c *Client) log(ctx context.Context, credentialSource string, action Action, attempt int, retry bool, res Result, err error) {
	code := ""
	var apiErr *APIError
	switch {
	case err == nil:
		code = "Success"
	case errors.As(err, &apiErr):
		code = apiErr.Code
	}
	attrs := []slog.Attr{
		slog.String("action", action.ActionName()),
		slog.String("endpoint", c.endpoint.Host),
		slog.String("signature_method", string(c.method)),
		slog.Int("batch_size", action.Size()),
		slog.String("upstream_request_id", res.RequestID),
		slog.String("code", code),
		slog.Int64("latency_ms", res.Latency.Milliseconds()),
		slog.String("credential_source", credentialSource),
		slog.Int("attempt", attempt),
		slog.Bool("retry", retry),
	}
	level := slog.LevelInfo
	switch {
	case apiErr != nil:
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("message", apiErr.Message))
	case err != nil:
		level = slog.LevelError // the call failed for good …
		if retry {
			level = slog.LevelWarn // … or not yet
		}
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.Logger.LogAttrs(ctx, level, "upstream call", attrs...)
}

// randomNonce is a v1 Nonce, a random positive integer against replays (API
// 2.0's signature document); it is no secret, so math/rand/v2 (no system
// call) is enough, as in the official SDK.
func randomNonce() uint32 { return rand.Uint32N(math.MaxInt32) + 1 }

// legacyAnswer reads the legacy endpoint's own answer to action,
// {"code":4100,"message":"...","codeDesc":"AuthFailure..."} (for
// Version=2017-03-12 it sends API 3.0's Response): nil for code 0.
func legacyAnswer(body []byte, action string, status int) error {
	var a struct {
		Code     *json.Number `json:"code"`
		Message  string       `json:"message"`
		CodeDesc string       `json:"codeDesc"`
	}
	switch {
	case json.Unmarshal(body, &a) != nil:
		return fmt.Errorf("%w: the answer is not JSON (%d bytes)", ErrBadResponse, len(body))
	case a.Code == nil:
		return fmt.Errorf("%w: JSON without Response or code (%d bytes)", ErrBadResponse, len(body))
	}
	if code, err := a.Code.Int64(); err == nil && code == 0 {
		return nil
	}
	return &APIError{Action: action, Code: cmp.Or(a.CodeDesc, "Legacy."+a.Code.String()), Message: a.Message, StatusCode: status}
}

// describeBody names what came back without echoing it: an HTML error page
// or a proxy's text is not worth a log line of its own.
func describeBody(resp *http.Response, body []byte) string {
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	if ct == "" {
		ct = "no content type"
	}
	return ct + ", " + strconv.Itoa(len(body)) + " bytes"
}
