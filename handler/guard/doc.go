// Package guard decides who may call and what may change: the
// authentication of HTTP callers (a bearer token, compared by digest),
// their method and content type, the projects instances may be moved into
// (ALLOWED_PROJECT_IDS), the instance cap (MAX_INSTANCES), the dry-run
// policy (DRY_RUN), and the masking of secrets in log lines (Redactor).
//
// Start with Security, read from the environment by FromEnv; its zero value
// refuses every HTTP request.
package guard
