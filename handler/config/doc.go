// Package config reads the function's environment variables, all but the
// credential providers' own: Load gives a Config, with the API clients its
// settings name; a malformed setting is an error, never a silent default.
// The variables are in docs/configuration.md.
package config
