// Package guard decides who may call and what may change: HTTP callers'
// bearer token, method and content type, ALLOWED_PROJECT_IDS,
// MAX_INSTANCES and DRY_RUN (Security, read by FromEnv), and the masking of
// secrets in log lines (Redact). See docs/security.md.
package guard
