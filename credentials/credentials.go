package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned (wrapped) when a provider finds no credentials.
var ErrNotFound = errors.New("no credentials found")

// Credentials are a key pair, with the session token of temporary keys.
type Credentials struct {
	SecretID  string
	SecretKey string
	Token     string // empty for permanent keys
	Source    string // which provider supplied them: "env", "assumed-role:<arn>", "cvm-role:<name>"
	// Expires is when temporary credentials stop working; zero for keys
	// that do not expire (or whose expiry the provider does not know).
	Expires time.Time
}

// Expired reports whether the credentials expire at or before now: they
// must not sign a request then.
func (c Credentials) Expired(now time.Time) bool {
	return !c.Expires.IsZero() && !now.Before(c.Expires)
}

// String shows the SecretId, source and expiry only.
func (c Credentials) String() string {
	s := fmt.Sprintf("credentials{SecretId: %s, Source: %s, Token: %t", c.SecretID, c.Source, c.Token != "")
	if !c.Expires.IsZero() {
		s += ", Expires: " + c.Expires.UTC().Format(time.RFC3339)
	}
	return s + "}"
}

// GoString keeps %#v from printing the secret fields.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps slog from printing the secret fields.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("secret_id", c.SecretID), slog.String("source", c.Source))
}

// Provider supplies credentials for one invocation.
type Provider interface {
	Retrieve(ctx context.Context) (Credentials, error)
}

// The environment variables SCF sets for the function's execution role.
const (
	EnvSecretID     = "TENCENTCLOUD_SECRETID"
	EnvSecretKey    = "TENCENTCLOUD_SECRETKEY"
	EnvSessionToken = "TENCENTCLOUD_SESSIONTOKEN"
)

// Env reads the execution role's keys through Getenv at every call: SCF
// rotates them and scf-go-lib sets them again before each invocation, so
// they are never cached.
type Env struct {
	Getenv func(string) string
}

// Retrieve returns the keys in the environment, or ErrNotFound naming the
// variables that are missing.
func (e Env) Retrieve(context.Context) (Credentials, error) {
	c := Credentials{
		SecretID:  strings.TrimSpace(e.Getenv(EnvSecretID)),
		SecretKey: strings.TrimSpace(e.Getenv(EnvSecretKey)),
		Token:     strings.TrimSpace(e.Getenv(EnvSessionToken)),
		Source:    "env",
	}
	var missing []string
	if c.SecretID == "" {
		missing = append(missing, EnvSecretID)
	}
	if c.SecretKey == "" {
		missing = append(missing, EnvSecretKey)
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("env: %s not set: %w", strings.Join(missing, " and "), ErrNotFound)
	}
	return c, nil
}

// Chain asks its providers in order and returns the first credentials
// found. ErrNotFound hands over to the next provider; any other error ends
// the search (a configured source that fails is not skipped). When none
// finds any, the error wraps ErrNotFound and lists what each tried.
type Chain []Provider

// Retrieve returns the first provider's credentials.
func (c Chain) Retrieve(ctx context.Context) (Credentials, error) {
	var tried []string // what each provider that found nothing says
	for _, p := range c {
		creds, err := p.Retrieve(ctx)
		if err == nil {
			return creds, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Credentials{}, err
		}
		tried = append(tried, strings.TrimSuffix(err.Error(), ": "+ErrNotFound.Error()))
	}
	return Credentials{}, fmt.Errorf("%w (tried %s)", ErrNotFound, strings.Join(tried, "; "))
}

// Renewing gives the keys its Provider gave at the first Retrieve until
// they expire, then asks it for new ones (and keeps those): the keys of one
// invocation, renewed when a long run outlives them. Set Provider; it is
// safe for concurrent use.
type Renewing struct {
	Provider Provider

	mu      sync.Mutex
	current Credentials   // zero until a Retrieve succeeds
	issued  []Credentials // every set handed out, for the masking of a panic's log line
}

// Retrieve returns the current keys, or new ones from the provider when
// there are none yet or they expire before what ctx needs (NeedUntil; by
// default, now). The caller checks the new ones' expiry (a provider may
// give expired keys).
func (r *Renewing) Retrieve(ctx context.Context) (Credentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	have := r.current.SecretID != ""
	if have && !r.current.Expired(neededUntil(ctx, time.Now())) {
		return r.current, nil
	}
	fresh, err := r.Provider.Retrieve(ctx)
	switch {
	case err != nil && have && !r.current.Expired(time.Now()):
		return r.current, nil // still valid now: better than none
	case err != nil:
		return Credentials{}, err
	case !fresh.Expires.IsZero() && !r.current.Expires.IsZero() && !fresh.Expires.After(r.current.Expires):
		return r.current, nil // no better than what it has
	}
	r.current = fresh
	r.issued = append(r.issued, fresh)
	return fresh, nil
}

// Secrets returns the SecretKey and Token of every set of keys handed out
// so far, for a log's masking.
func (r *Renewing) Secrets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, 2*len(r.issued))
	for _, c := range r.issued {
		out = append(out, c.SecretKey, c.Token)
	}
	return out
}

// String and GoString print r without its keys (see cache.String).
func (r *Renewing) String() string { return "renewing keys of " + fmt.Sprint(r.Provider) }

// GoString is String, for %#v.
func (r *Renewing) GoString() string { return r.String() }

type needKey struct{}

// NeedUntil returns ctx asking the providers it reaches (Renewing, the
// cache of temporary keys) for keys that are still valid at t: keys that
// expire before are renewed first (a failed renewal still gives keys valid
// now). The CVM client asks for keys that outlive the attempt it signs.
func NeedUntil(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, needKey{}, t)
}

// neededUntil is the time ctx needs keys valid at: NeedUntil's, else now.
func neededUntil(ctx context.Context, now time.Time) time.Time {
	if t, ok := ctx.Value(needKey{}).(time.Time); ok && t.After(now) {
		return t
	}
	return now
}

// The environment variables FromEnv reads, besides Env's; handler/config
// reads EnvRegion (the default region) and EnvFunctionName too.
const (
	EnvRoleARN          = "ROLE_ARN"
	EnvRoleSessionName  = "ROLE_SESSION_NAME"
	EnvRoleDuration     = "ROLE_DURATION" // seconds
	EnvRoleExternalID   = "ROLE_EXTERNAL_ID"
	EnvSTSEndpoint      = "STS_ENDPOINT"
	EnvMetadataEndpoint = "METADATA_ENDPOINT"
	EnvRegion           = "TENCENTCLOUD_REGION"
	// EnvFunctionName names the function (SCF sets it); the default
	// RoleSessionName is "cvm-project-<name>".
	EnvFunctionName = "SCF_FUNCTIONNAME"
)

// FromEnv builds the provider chain from the settings read through getenv
// and names it for the log (never a secret): Env (keys read through keys at
// every call), then InstanceRole (METADATA_ENDPOINT); with ROLE_ARN, only
// AssumeRole of that role, signed by that chain's keys. httpClient serves
// STS and metadata calls. A bad setting is an error wrapping
// ErrInvalidConfig that names the variable.
func FromEnv(getenv, keys func(string) string, httpClient Doer, logger *slog.Logger) (Provider, string, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	calls := Calls{HTTP: httpClient, Logger: logger}
	instance, err := NewInstanceRole(InstanceRoleOptions{Endpoint: get(EnvMetadataEndpoint), Calls: calls})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", EnvMetadataEndpoint, err)
	}
	base, name := Chain{Env{Getenv: keys}, instance}, "env, then cvm-role (metadata "+instance.endpoint.String()+")"
	arn := get(EnvRoleARN)
	if arn == "" {
		return base, name, nil
	}
	duration, err := roleDuration(get(EnvRoleDuration))
	if err != nil {
		return nil, "", err
	}
	session := get(EnvRoleSessionName)
	if session == "" {
		session = DefaultSessionName(get(EnvFunctionName))
	}
	p, err := NewAssumeRole(AssumeRoleOptions{
		RoleARN:     arn,
		SessionName: session,
		ExternalID:  get(EnvRoleExternalID),
		Duration:    duration,
		Region:      get(EnvRegion),
		Endpoint:    get(EnvSTSEndpoint),
		Base:        base,
		Calls:       calls,
	})
	if err != nil {
		return nil, "", err
	}
	return p, "assumed-role:" + arn + " (STS " + p.endpoint.Host + ", signed with the keys of " + name + ")", nil
}

// roleDuration reads ROLE_DURATION: whole seconds from 900 to
// 43200; DefaultRoleDuration when empty.
func roleDuration(s string) (time.Duration, error) {
	if s == "" {
		return DefaultRoleDuration, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	minS, maxS := int64(MinRoleDuration/time.Second), int64(MaxRoleDuration/time.Second)
	if err != nil || n < minS || n > maxS {
		return 0, fmt.Errorf("%s %q is not a number of seconds from %d to %d: %w", EnvRoleDuration, s, minS, maxS, ErrInvalidConfig)
	}
	return time.Duration(n) * time.Second, nil
}

// parseEndpoint checks an endpoint setting: an http(s) URL with a host.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%q is not an http(s) URL: %w", raw, ErrInvalidConfig)
	}
	return u, nil
}

// DefaultSessionName returns "cvm-project-<name>", the characters of name
// STS refuses replaced by "-", trimmed to MaxSessionNameLen; just
// "cvm-project" without a name.
func DefaultSessionName(name string) string {
	s := "cvm-project"
	if name != "" {
		s += "-" + strings.Map(func(r rune) rune {
			if r < 0x80 && sessionNameByte(byte(r)) {
				return r
			}
			return '-'
		}, name)
	}
	return s[:min(len(s), MaxSessionNameLen)]
}
