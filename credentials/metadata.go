package credentials

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"scf-cvm-project/internal/retry"
)

// DefaultMetadataEndpoint is the CVM metadata service, reachable from
// inside a CVM instance (and containers on one).
const DefaultMetadataEndpoint = "http://metadata.tencentyun.com"

// MetadataCredentialsPath is where the metadata service names the
// instance's role; the role's keys are at this path plus the role name.
const MetadataCredentialsPath = "/latest/meta-data/cam/security-credentials/"

// InstanceRoleOptions configure NewInstanceRole (Timeout: MetadataTimeout
// when zero). Only HTTP is required.
type InstanceRoleOptions struct {
	Endpoint string // base URL of the metadata service; DefaultMetadataEndpoint when empty
	Calls
}

// InstanceRole supplies the temporary keys of the CVM instance's role from
// the metadata service (the role's name at MetadataCredentialsPath, its
// keys at MetadataCredentialsPath + name), cached (see cache); Source is
// "cvm-role:<name>". No readable role name (no service, HTTP 404, timeout)
// is ErrNotFound; a role whose keys cannot be read, ErrMetadataUnreachable.
type InstanceRole struct {
	o        InstanceRoleOptions
	endpoint *url.URL
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
	if o.Timeout <= 0 {
		o.Timeout = MetadataTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &InstanceRole{o: o, endpoint: u}
	p.cache.fetch, p.cache.now, p.cache.logger = p.fetchCredentials, o.Now, cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	return p, nil
}

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
	a, err := p.get(ctx, MetadataCredentialsPath, true, nil)
	switch {
	case err != nil:
		return "", fmt.Errorf("cvm-role: no instance role: the metadata service: %w: %w", err, ErrNotFound)
	case !a.ok():
		return "", fmt.Errorf("cvm-role: no instance role: the metadata service answered HTTP %d: %w", a.status, ErrNotFound)
	}
	line, _, _ := bufio.NewReader(bytes.NewReader(a.body)).ReadLine()
	role := strings.TrimSpace(string(line))
	if role == "" || strings.ContainsAny(role, "/?#") {
		return "", fmt.Errorf("cvm-role: no instance role: the metadata service names none: %w", ErrNotFound)
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
		return Credentials{}, fmt.Errorf("%w: role %s: the metadata service: %s", ErrMetadataUnreachable, role, fmt.Sprintf(format, args...))
	}
	a, err := p.get(ctx, MetadataCredentialsPath+role, false, json.Valid)
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
	expires, err := expiry(m.ExpiredTime, m.Expiration, p.o.Now())
	if err != nil {
		return fail("%v", err)
	}
	return Credentials{SecretID: m.TmpSecretID, SecretKey: m.TmpSecretKey, Token: m.Token, Source: "cvm-role:" + role, Expires: expires}, nil
}

// get reads one metadata path, retried (Calls.retry) on a network failure,
// HTTP 5xx or 429, or a 2xx body that valid (when not nil) refuses. For
// probe, the read of the role's name, a refused connection is not retried:
// no metadata service listens, which a Chain must learn at once.
func (p *InstanceRole) get(ctx context.Context, path string, probe bool, valid func([]byte) bool) (answer, error) {
	u := *p.endpoint
	u.Path += path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return answer{}, err
	}
	var a answer
	err = p.o.retry(ctx, func() (bool, error) {
		var (
			again bool
			err   error
		)
		a, again, err = p.o.send(ctx, req)
		switch {
		case err != nil && probe && errors.Is(err, syscall.ECONNREFUSED):
			return false, err
		case err != nil:
			return again, err
		case retry.Status(a.status):
			return true, fmt.Errorf("HTTP %d", a.status)
		case a.ok() && valid != nil && !valid(a.body):
			return true, errGarbled
		}
		return false, nil
	})
	if err != nil && a.status != 0 {
		return a, nil // the last answer says what failed
	}
	return a, err
}

// errGarbled marks an answer valid refused; the caller reads it again.
var errGarbled = errors.New("garbled answer")
