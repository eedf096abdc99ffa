package credentials

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// The environment variables FromEnv reads, besides Env's.
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

// FromEnv builds the provider chain from the environment, read once here
// (Env re-reads its keys at every call):
//
//  1. ROLE_ARN set: AssumeRole of that role, signed with the
//     keys of 2, else 3; nothing else is tried.
//  2. Env: TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY,
//     TENCENTCLOUD_SESSIONTOKEN (what SCF sets for the execution role).
//  3. InstanceRole: the CVM instance's role, from METADATA_ENDPOINT.
//
// A bad setting is an error wrapping ErrInvalidConfig that names the
// variable; the function then refuses to run rather than fall back.
// httpClient serves the STS and metadata calls.
func FromEnv(getenv func(string) string, httpClient Doer, logger *slog.Logger) (Provider, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	instance, err := NewInstanceRole(InstanceRoleOptions{Endpoint: get(EnvMetadataEndpoint), HTTP: httpClient, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvMetadataEndpoint, err)
	}
	base := Chain{Env{Getenv: getenv}, instance}
	arn := get(EnvRoleARN)
	if arn == "" {
		return base, nil
	}
	duration, err := roleDuration(get(EnvRoleDuration))
	if err != nil {
		return nil, err
	}
	session := get(EnvRoleSessionName)
	if session == "" {
		session = DefaultSessionName(get(EnvFunctionName))
	} else if !validSessionName(session) {
		return nil, fmt.Errorf("%s %q is not 2 to %d letters, digits or +=,.@_-: %w", EnvRoleSessionName, session, MaxSessionNameLen, ErrInvalidConfig)
	}
	if ep := get(EnvSTSEndpoint); ep != "" {
		if _, err := parseEndpoint(ep); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSTSEndpoint, err)
		}
	}
	p, err := NewAssumeRole(AssumeRoleOptions{
		RoleARN:     arn,
		SessionName: session,
		ExternalID:  get(EnvRoleExternalID),
		Duration:    duration,
		Region:      get(EnvRegion),
		Endpoint:    get(EnvSTSEndpoint),
		Base:        base,
		HTTP:        httpClient,
		Logger:      logger,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvRoleARN, err)
	}
	return p, nil
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

// DefaultSessionName returns "cvm-project-<the first non-empty name>", its
// other characters replaced by "-" and trimmed to MaxSessionNameLen; just
// "cvm-project" without a name.
func DefaultSessionName(names ...string) string {
	s := "cvm-project"
	for _, n := range names {
		if n != "" {
			s += "-" + strings.Map(func(r rune) rune {
				if r < 0x80 && sessionNameByte(byte(r)) {
					return r
				}
				return '-'
			}, n)
			break
		}
	}
	return s[:min(len(s), MaxSessionNameLen)]
}
