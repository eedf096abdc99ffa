package cvm

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/internal/retry"
	"scf-cvm-project/signer"
	"strconv"
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

// Doer sends an HTTP request; *http.Client is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Client calls one CVM endpoint with one signature method. Its fields may
// be set after New and before the first Call; it is safe for concurrent use.
// One Client serves every invocation of a warm process, so its Limiter and
// what it remembers of recent attempts are shared by all of them.
type Client struct {
	HTTP   Doer
	Logger *slog.Logger
	// Now and Nonce are the signing time and nonce; tests fix them.
	Now   func() time.Time
	Nonce func() uint32

	// Retry is the retry policy; New's: 3 retries, backoff from 200 ms,
	// 30 s per attempt, none started with less than 200 ms left.
	Retry RetryPolicy
	// Rates paces each action at its own adaptive rate
	// (ratelimit.NewActionRates, from RATE_LIMIT); nil: no client-side
	// rate.
	Rates *ratelimit.ActionRates
	// Clock, Sleep and Rand time the attempts: the clock of the deadline
	// rule, latencies and the limiter; a context-aware sleep; and the jitter
	// source (like rand.Int64N). Tests replace them.
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
func New(endpoint string, method signer.Method, httpClient Doer) (*Client, error) {
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
		Now:      time.Now,
		Nonce:    randomNonce,
		Clock:    time.Now,
		Sleep:    retry.Sleep,
		Rand:     retry.Int64N,
		endpoint: u,
		legacy:   legacy,
		service:  "cvm",
		version:  Version,
		method:   method,
		Retry: RetryPolicy{MaxRetries: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second,
			AttemptTimeout: 30 * time.Second, MinTimeLeft: 200 * time.Millisecond},
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
func NewService(service, version, endpoint string, method signer.Method, httpClient Doer) (*Client, error) {
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

func (c *Client) send(req *http.Request, action string, out any) (Result, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return Result{}, fmt.Errorf("cvm: %w", ctxErr)
		}
		return Result{}, fmt.Errorf("%w: %w", ErrUnreachable, unwrapURLError(err))
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
	res, err := parseAnswer(body, out)
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.Action, apiErr.StatusCode = action, resp.StatusCode
	}
	return res, err
}

// log writes one line per attempt; retry says another attempt follows.
func (c *Client) log(ctx context.Context, credentialSource string, action Action, attempt int, retry bool, res Result, err error) {
	// The API's code; "" when no API answer came back (the error says why).
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

// unwrapURLError drops *url.Error's "Post <url>:" prefix: the host is
// already named, and the message stays short.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func randomNonce() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	n := binary.BigEndian.Uint32(b[:]) & 0x7fffffff
	if n == 0 {
		n = 1
	}
	return n
}

// answer holds both answer shapes: API 3.0's {"Response":{...}} (also what
// the legacy endpoint sends for Version=2017-03-12) and the old
// {"code":4100,"message":"...","codeDesc":"AuthFailure..."}.
type answer struct {
	Response *struct {
		RequestID string `json:"RequestId"`
		Error     *struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Error"`
	} `json:"Response"`
	OldCode     *json.Number `json:"code"`
	OldMessage  string       `json:"message"`
	OldCodeDesc string       `json:"codeDesc"`
}

func parseAnswer(body []byte, out any) (Result, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return Result{}, fmt.Errorf("%w: the answer is not JSON (%d bytes)", ErrBadResponse, len(body))
	}
	switch {
	case a.Response != nil:
		res := Result{RequestID: a.Response.RequestID}
		if e := a.Response.Error; e != nil {
			apiErr := &APIError{Code: e.Code, Message: e.Message, RequestID: res.RequestID}
			if apiErr.Code == "" {
				apiErr.Code = "InternalError.UpstreamBadResponse"
			}
			return res, apiErr
		}
		if out != nil {
			var wrapper struct {
				Response json.RawMessage `json:"Response"`
			}
			if err := json.Unmarshal(body, &wrapper); err == nil {
				err = json.Unmarshal(wrapper.Response, out)
				if err != nil {
					return res, fmt.Errorf("%w: decoding the Response: %w", ErrBadResponse, err)
				}
			}
		}
		return res, nil
	case a.OldCode != nil:
		if code, err := a.OldCode.Int64(); err == nil && code == 0 {
			return Result{}, nil
		}
		apiErr := &APIError{Code: a.OldCodeDesc, Message: a.OldMessage}
		if apiErr.Code == "" {
			apiErr.Code = "Legacy." + a.OldCode.String()
		}
		return Result{}, apiErr
	}
	return Result{}, fmt.Errorf("%w: JSON without Response or code (%d bytes)", ErrBadResponse, len(body))
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
