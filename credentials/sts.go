package credentials

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"scf-cvm-project/internal/retry"
	"scf-cvm-project/signer"
)

// STS, as AssumeRole calls it.
const (
	DefaultSTSEndpoint = "https://sts.tencentcloudapi.com/"
	DefaultSTSRegion   = "ap-guangzhou"
	STSVersion         = "2018-08-13"
	stsService         = "sts"
	stsAction          = "AssumeRole"
)

// The DurationSeconds AssumeRole asks for, and the limits on it.
const (
	DefaultRoleDuration = time.Hour
	MinRoleDuration     = 15 * time.Minute
	MaxRoleDuration     = 12 * time.Hour
)

// MaxSessionNameLen is the longest RoleSessionName STS takes.
const MaxSessionNameLen = 64

// validSessionName reports whether s is a RoleSessionName STS takes: 2 to
// MaxSessionNameLen of [\w+=,.@-].
func validSessionName(s string) bool {
	if len(s) < 2 || len(s) > MaxSessionNameLen {
		return false
	}
	for i := range len(s) {
		if !sessionNameByte(s[i]) {
			return false
		}
	}
	return true
}

// sessionNameByte reports whether b may be in a RoleSessionName.
func sessionNameByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("_+=,.@-", b) >= 0
}

// AssumeRoleOptions configure NewAssumeRole (Timeout: STSTimeout when
// zero; Now is also the signing time). RoleARN, SessionName, Duration, Base
// and HTTP are required.
type AssumeRoleOptions struct {
	RoleARN     string        // e.g. qcs::cam::uin/100000000001:roleName/cvm-project-mover
	SessionName string        // RoleSessionName, 2 to 64 of [\w+=,.@-]
	ExternalID  string        // sent when not empty
	Duration    time.Duration // whole seconds, MinRoleDuration to MaxRoleDuration (FromEnv's roleDuration)
	Region      string        // X-TC-Region; DefaultSTSRegion when empty
	Endpoint    string        // STS URL; DefaultSTSEndpoint when empty
	Base        Provider      // the caller's keys, which sign the AssumeRole call
	Calls
}

// AssumeRole supplies a CAM role's temporary keys from STS AssumeRole
// (TC3-HMAC-SHA256, signed by Base's keys), cached (see cache); Source is
// "assumed-role:<arn>". Errors: Base's (ErrNotFound: nothing was sent), or
// ErrAssumeRole when STS refused (with an *STSError) or gave no usable answer.
type AssumeRole struct {
	o        AssumeRoleOptions
	endpoint *url.URL
	cache
}

// NewAssumeRole checks o's SessionName and Endpoint and returns the
// provider; an error wraps ErrInvalidConfig and names the variable FromEnv
// reads (ROLE_SESSION_NAME, STS_ENDPOINT).
func NewAssumeRole(o AssumeRoleOptions) (*AssumeRole, error) {
	if !validSessionName(o.SessionName) {
		return nil, fmt.Errorf("%s %q is not 2 to %d letters, digits or +=,.@_-: %w", EnvRoleSessionName, o.SessionName, MaxSessionNameLen, ErrInvalidConfig)
	}
	if o.Endpoint == "" {
		o.Endpoint = DefaultSTSEndpoint
	}
	u, err := parseEndpoint(o.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSTSEndpoint, err)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	if o.Region == "" {
		o.Region = DefaultSTSRegion
	}
	if o.Timeout <= 0 {
		o.Timeout = STSTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &AssumeRole{o: o, endpoint: u}
	p.cache.fetch, p.cache.now, p.cache.logger = p.assume, o.Now, cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	return p, nil
}

// assumeRoleParams is the AssumeRole request body.
type assumeRoleParams struct {
	RoleArn         string
	RoleSessionName string
	DurationSeconds int64
	ExternalId      string `json:",omitempty"`
}

// assumeRoleAnswer is the part of STS's Response that is read.
type assumeRoleAnswer struct {
	Credentials *struct {
		Token        string `json:"Token"`
		TmpSecretID  string `json:"TmpSecretId"`
		TmpSecretKey string `json:"TmpSecretKey"`
	} `json:"Credentials"`
	ExpiredTime int64  `json:"ExpiredTime"`
	Expiration  string `json:"Expiration"`
}

// assume calls STS AssumeRole with the base credentials.
func (p *AssumeRole) assume(ctx context.Context) (Credentials, error) {
	base, err := p.o.Base.Retrieve(ctx)
	if err != nil {
		return Credentials{}, fmt.Errorf("assumed-role %s: the caller's keys: %w", p.o.RoleARN, err)
	}
	var (
		creds  Credentials
		stamps retry.Stamps
	)
	err = p.o.retry(ctx, func() (bool, error) {
		var again bool
		creds, again, err = p.attempt(ctx, base, stamps.Next(p.o.Now()))
		return again, err
	})
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: role %s: STS: %w", ErrAssumeRole, p.o.RoleARN, err)
	}
	return creds, nil
}

// attempt makes one AssumeRole request signed at ts and says whether its
// failure is worth another attempt.
func (p *AssumeRole) attempt(ctx context.Context, base Credentials, ts int64) (Credentials, bool, error) {
	req, err := p.newRequest(ctx, base, ts)
	if err != nil {
		return Credentials{}, false, fmt.Errorf("building the request: %w", err)
	}
	a, again, err := p.o.send(ctx, req)
	switch {
	case err != nil:
		return Credentials{}, again, err
	case !a.ok():
		return Credentials{}, retry.Status(a.status), fmt.Errorf("answered HTTP %d (%d bytes)", a.status, len(a.body))
	}
	var ans assumeRoleAnswer
	r, found, err := signer.DecodeResponse(a.body, &ans)
	switch {
	case err != nil || !found:
		return Credentials{}, true, fmt.Errorf("the answer is not the API's JSON (%d bytes)", len(a.body))
	case r.Error != nil:
		return Credentials{}, retry.Code(r.Error.Code), &STSError{Code: r.Error.Code, Message: r.Error.Message, RequestID: r.RequestID}
	case ans.Credentials == nil || ans.Credentials.TmpSecretID == "" || ans.Credentials.TmpSecretKey == "" || ans.Credentials.Token == "":
		return Credentials{}, false, fmt.Errorf("the answer (RequestId %s) lacks Credentials", r.RequestID)
	}
	expires, err := expiry(ans.ExpiredTime, ans.Expiration, p.o.Now())
	if err != nil {
		return Credentials{}, false, fmt.Errorf("RequestId %s: %w", r.RequestID, err)
	}
	return Credentials{
		SecretID:  ans.Credentials.TmpSecretID,
		SecretKey: ans.Credentials.TmpSecretKey,
		Token:     ans.Credentials.Token,
		Source:    "assumed-role:" + p.o.RoleARN,
		Expires:   expires,
	}, false, nil
}

// newRequest builds the TC3-signed AssumeRole request, signed at ts.
func (p *AssumeRole) newRequest(ctx context.Context, base Credentials, ts int64) (*http.Request, error) {
	payload, err := json.Marshal(assumeRoleParams{
		RoleArn:         p.o.RoleARN,
		RoleSessionName: p.o.SessionName,
		DurationSeconds: int64(p.o.Duration / time.Second),
		ExternalId:      p.o.ExternalID,
	})
	if err != nil {
		return nil, err
	}
	call := signer.TC3Call{Service: stsService, Action: stsAction, Version: STSVersion, Region: p.o.Region}
	return signer.NewTC3Request(ctx, p.endpoint, call, payload, ts, base.SecretID, base.SecretKey, base.Token)
}
