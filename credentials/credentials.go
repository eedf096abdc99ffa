package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
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

// Retrieve returns c: keys are a Provider of themselves, for a caller that
// takes a Provider and has the keys already.
func (c Credentials) Retrieve(context.Context) (Credentials, error) { return c, nil }

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

// Env reads the execution role's keys from the environment at every call:
// SCF rotates them and scf-go-lib sets them again before each invocation,
// so they are never cached. The zero value reads os.Getenv.
type Env struct {
	Getenv func(string) string
}

// String names the provider.
func (Env) String() string { return "env" }

// Retrieve returns the keys in the environment, or ErrNotFound naming the
// variables that are missing.
func (e Env) Retrieve(context.Context) (Credentials, error) {
	get := e.Getenv
	if get == nil {
		get = os.Getenv
	}
	c := Credentials{
		SecretID:  strings.TrimSpace(get(EnvSecretID)),
		SecretKey: strings.TrimSpace(get(EnvSecretKey)),
		Token:     strings.TrimSpace(get(EnvSessionToken)),
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
