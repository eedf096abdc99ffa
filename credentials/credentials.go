// Package credentials owns where the function's Tencent Cloud keys come
// from. A Provider is asked once per invocation; Env reads what SCF sets for
// the function's execution role.
//
// Credentials never print their secrets: String, GoString and LogValue show
// only the SecretId and the source, so a stray %v or slog attribute is safe.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// ErrNotFound is returned (wrapped) when a provider finds no credentials.
var ErrNotFound = errors.New("no credentials found")

// Credentials are a key pair, with the session token of temporary keys.
type Credentials struct {
	SecretID  string
	SecretKey string
	Token     string // empty for permanent keys
	Source    string // which provider supplied them, e.g. "env"
}

// String shows the SecretId and source only.
func (c Credentials) String() string {
	return fmt.Sprintf("credentials{SecretId: %s, Source: %s, Token: %t}", c.SecretID, c.Source, c.Token != "")
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
