package credentials

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultMetadataEndpoint is the CVM metadata service, reachable from
// inside a CVM instance (and containers on one).
const DefaultMetadataEndpoint = "http://metadata.tencentyun.com"

// MetadataCredentialsPath is where the metadata service names the
// instance's role; the role's keys are at this path plus the role name.
const MetadataCredentialsPath = "/latest/meta-data/cam/security-credentials/"

// InstanceRoleOptions configure NewInstanceRole. Only HTTP is required.
type InstanceRoleOptions struct {
	Endpoint string // base URL of the metadata service; DefaultMetadataEndpoint when empty
	HTTP     Doer
	Timeout  time.Duration    // per metadata call; MetadataTimeout when zero
	Now      func() time.Time // time.Now when nil
	Logger   *slog.Logger     // warnings of failed refreshes; discarded when nil
}

// InstanceRole supplies the temporary keys of the CVM instance's role from
// the metadata service: the role's name at MetadataCredentialsPath, then
// its keys at MetadataCredentialsPath + name. They are cached and
// refreshed before they expire (see cache). Its Source is
// "cvm-role:<name>".
//
// No role (the name cannot be read: no metadata service, HTTP 404, no
// answer within the timeout) is ErrNotFound, so a Chain goes on; a role
// whose keys cannot be read is ErrMetadataUnreachable.
type InstanceRole struct {
	endpoint *url.URL
	http     Doer
	timeout  time.Duration
	now      func() time.Time
	cache
}

// NewInstanceRole returns the provider, or an error wrapping
// ErrInvalidConfig for a bad endpoint.
func NewInstanceRole(o InstanceRoleOptions) (*InstanceRole, error) {
	if o.Endpoint == "" {
		o.Endpoint = DefaultMetadataEndpoint
	}
	u, err := parseEndpoint(o.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("metadata endpoint: %w", err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if o.HTTP == nil {
		return nil, fmt.Errorf("metadata: no HTTP client: %w", ErrInvalidConfig)
	}
	p := &InstanceRole{endpoint: u, http: o.HTTP, timeout: o.Timeout, now: o.Now}
	if p.timeout <= 0 {
		p.timeout = MetadataTimeout
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.cache.fetch, p.cache.now, p.cache.logger = p.fetchCredentials, p.now, discardIfNil(o.Logger)
	return p, nil
}

// String names the provider and where it reads.
func (p *InstanceRole) String() string { return "cvm-role (metadata " + p.endpoint.String() + ")" }

func (p *InstanceRole) fetchCredentials(ctx context.Context) (Credentials, error) {
	role, err := p.roleName(ctx)
	if err != nil {
		return Credentials{}, err
	}
	return p.roleCredentials(ctx, role)
}

// roleName reads the name of the instance's role; failing that, there is
// no role to speak of: ErrNotFound.
func (p *InstanceRole) roleName(ctx context.Context) (string, error) {
	a, err := p.get(ctx, MetadataCredentialsPath)
	switch {
	case err != nil:
		return "", fmt.Errorf("cvm-role: no instance role: metadata %s: %w: %w", p.endpoint.Host, err, ErrNotFound)
	case !a.ok():
		return "", fmt.Errorf("cvm-role: no instance role: metadata %s answered HTTP %d: %w", p.endpoint.Host, a.status, ErrNotFound)
	}
	line, _, _ := bufio.NewReader(bytes.NewReader(a.body)).ReadLine()
	role := strings.TrimSpace(string(line))
	if role == "" || strings.ContainsAny(role, "/?#") {
		return "", fmt.Errorf("cvm-role: no instance role: metadata %s names none: %w", p.endpoint.Host, ErrNotFound)
	}
	return role, nil
}

// metadataCredentials is the metadata service's answer for a role.
type metadataCredentials struct {
	TmpSecretID  string `json:"TmpSecretId"`
	TmpSecretKey string `json:"TmpSecretKey"`
	Token        string `json:"Token"`
	ExpiredTime  int64  `json:"ExpiredTime"`
	Expiration   string `json:"Expiration"`
	Code         string `json:"Code"`
}

// roleCredentials reads the keys of role; failing that, the role is there
// but unusable: ErrMetadataUnreachable.
func (p *InstanceRole) roleCredentials(ctx context.Context, role string) (Credentials, error) {
	fail := func(format string, args ...any) (Credentials, error) {
		return Credentials{}, fmt.Errorf("%w: role %s at metadata %s: %s", ErrMetadataUnreachable, role, p.endpoint.Host, fmt.Sprintf(format, args...))
	}
	a, err := p.get(ctx, MetadataCredentialsPath+role)
	switch {
	case err != nil:
		return fail("%v", err)
	case !a.ok():
		return fail("HTTP %d", a.status)
	}
	var m metadataCredentials
	if err := json.Unmarshal(a.body, &m); err != nil {
		return fail("the answer is not JSON (%d bytes)", len(a.body))
	}
	switch {
	case m.Code != "Success":
		return fail("the answer's Code is %q, not Success", m.Code)
	case m.TmpSecretID == "" || m.TmpSecretKey == "" || m.Token == "":
		return fail("the answer lacks TmpSecretId, TmpSecretKey or Token")
	}
	expires, err := expiry(m.ExpiredTime, m.Expiration, p.now())
	if err != nil {
		return fail("%v", err)
	}
	return Credentials{SecretID: m.TmpSecretID, SecretKey: m.TmpSecretKey, Token: m.Token, Source: "cvm-role:" + role, Expires: expires}, nil
}

// get reads one metadata path, bounded by the timeout and by ctx.
func (p *InstanceRole) get(ctx context.Context, path string) (answer, error) {
	callCtx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	u := *p.endpoint
	u.Path += path
	req, err := http.NewRequestWithContext(callCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return answer{}, err
	}
	a, err := do(p.http, req)
	if err != nil {
		return answer{}, timeoutOr(ctx, callCtx, p.timeout, err)
	}
	return a, nil
}

func discardIfNil(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
