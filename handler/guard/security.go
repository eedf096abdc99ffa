package guard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"slices"
	"strconv"
	"strings"
)

// The environment variables of the function's guards (FromEnv).
const (
	EnvAPIToken           = "API_TOKEN"
	EnvAPITokenSHA256     = "API_TOKEN_SHA256"
	EnvAllowAnonymousHTTP = "ALLOW_ANONYMOUS_HTTP"
	EnvAllowGET           = "ALLOW_GET"
	EnvAllowedProjectIDs  = "ALLOWED_PROJECT_IDS"
	EnvMaxInstances       = "MAX_INSTANCES"
	EnvDryRun             = "DRY_RUN"
)

// Bounds of the settings.
const (
	// MaxInstancesCeiling is the most MAX_INSTANCES may allow (1,000 calls).
	MaxInstancesCeiling = 100000
	// MinTokenLength is the shortest API_TOKEN accepted, in bytes: a
	// shorter one could be guessed by whoever can reach the URL.
	MinTokenLength = 16
)

// Security is what callers may do: who may call over HTTP and how, which
// projects instances may move into, how many instances one invocation may
// touch, and whether calls are only signed. HTTP checks apply to HTTP alone:
// SCF authorises other invocations (scf:InvokeFunction). The zero value
// refuses every HTTP request and allows any project, request.MaxInstanceIDs
// instances, calls sent. Settings: docs/security.md, docs/configuration.md.
type Security struct {
	// TokenSHA256 is the SHA-256 digest of the bearer token HTTP callers
	// must send; nil when no token is configured. Only the digest is kept,
	// and tokens are compared by digest in constant time, so neither the
	// token nor its length can be learnt from the timing of a refusal.
	TokenSHA256 []byte
	// AllowAnonymousHTTP lets HTTP requests in without a token when none
	// is configured (e.g. when API Gateway's app authentication guards the
	// route). A configured token is required whatever it says.
	AllowAnonymousHTTP bool
	// AllowGET accepts GET besides POST.
	AllowGET bool
	// AllowedProjectIDs lists the projects instances may be moved into;
	// empty means any.
	AllowedProjectIDs []int64
	// AllowedProjectNames are the projects ALLOWED_PROJECT_IDS names
	// (name:prod), allowed once resolved to their ids (see AllowProject).
	AllowedProjectNames []string
	// MaxInstances bounds the distinct instances of one invocation;
	// ≤ 0 means MaxInstanceIDs.
	MaxInstances int
	// DryRun is the default of a request's DryRun: sign, do not send.
	DryRun bool
}

// TokenDigest returns the SHA-256 digest of token, as Security.TokenSHA256
// holds it.
func TokenDigest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// FromEnv reads the guards' settings. Unset or blank variables take
// their defaults (those of the zero Security). Every malformed one is
// reported, joined, as "NAME: what is wrong", which never repeats the
// value (it may be a token); the Security returned then is not to be used.
func FromEnv(getenv func(string) string) (Security, error) {
	var s Security
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}

	token := strings.TrimSpace(getenv(EnvAPIToken))
	if token != "" {
		if len(token) < MinTokenLength {
			bad(EnvAPIToken, "is %d bytes; use a random token of at least %d (e.g. openssl rand -hex 32)", len(token), MinTokenLength)
		}
		s.TokenSHA256 = TokenDigest(token)
	}
	if digest := strings.TrimSpace(getenv(EnvAPITokenSHA256)); digest != "" {
		d, err := hex.DecodeString(digest)
		switch {
		case err != nil || len(d) != sha256.Size:
			bad(EnvAPITokenSHA256, "is not a SHA-256 digest in hex (64 characters 0-9a-f; printf %%s \"$TOKEN\" | sha256sum)")
		case s.TokenSHA256 != nil && subtle.ConstantTimeCompare(d, s.TokenSHA256) != 1:
			bad(EnvAPITokenSHA256, "is not the digest of %s; set one of the two", EnvAPIToken)
		default:
			s.TokenSHA256 = d
		}
	}

	for _, b := range []struct {
		name string
		v    *bool
	}{
		{EnvAllowAnonymousHTTP, &s.AllowAnonymousHTTP},
		{EnvAllowGET, &s.AllowGET},
		{EnvDryRun, &s.DryRun},
	} {
		if v := strings.TrimSpace(getenv(b.name)); v != "" {
			parsed, err := strconv.ParseBool(v)
			if err != nil {
				bad(b.name, "is %q; want true or false", v)
			}
			*b.v = parsed
		}
	}

	// A value that names no project, blank (" ") or only commas (","), is
	// unset: any project, as every blank setting takes its default. Among
	// ids, an empty item ("5,,6") is a mistake, never skipped.
	if v := strings.TrimSpace(getenv(EnvAllowedProjectIDs)); strings.Trim(v, ", \t") != "" {
		for i, item := range strings.Split(v, ",") {
			if name, ok := strings.CutPrefix(strings.TrimSpace(item), ProjectNamePrefix); ok && strings.TrimSpace(name) != "" {
				s.AllowedProjectNames = append(s.AllowedProjectNames, strings.TrimSpace(name))
				continue
			}
			id, err := strconv.ParseInt(strings.TrimSpace(item), 10, 64)
			if err != nil || id < 0 {
				bad(EnvAllowedProjectIDs, "item %d (%q) is not a project id; want a comma-separated list of integers ≥ 0 or names, such as 0,1045,name:prod", i+1, strings.TrimSpace(item))
				continue
			}
			if !slices.Contains(s.AllowedProjectIDs, id) {
				s.AllowedProjectIDs = append(s.AllowedProjectIDs, id)
			}
		}
	}

	if v := strings.TrimSpace(getenv(EnvMaxInstances)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxInstancesCeiling {
			bad(EnvMaxInstances, "is %q; want an integer from 1 to %d", v, MaxInstancesCeiling)
		}
		s.MaxInstances = n
	}
	return s, errors.Join(errs...)
}

// InstanceLimit is the most distinct instances one invocation may name
// (MaxInstances, or request.MaxInstanceIDs when it is not set).
func (s Security) InstanceLimit() int {
	if s.MaxInstances <= 0 {
		return request.MaxInstanceIDs
	}
	return min(s.MaxInstances, MaxInstancesCeiling)
}

// HTTPAuth says how HTTP callers are authenticated, for the log line at
// start: "bearer token", "anonymous (ALLOW_ANONYMOUS_HTTP)" or "refused".
func (s Security) HTTPAuth() string {
	switch {
	case s.TokenSHA256 != nil:
		return "bearer token"
	case s.AllowAnonymousHTTP:
		return "anonymous (" + EnvAllowAnonymousHTTP + ")"
	}
	return "refused (no " + EnvAPIToken + " nor " + EnvAPITokenSHA256 + ")"
}

// unauthenticatedMessage is all a refused caller is told.
const unauthenticatedMessage = "a valid bearer token is required in the Authorization header"

// CheckHTTP checks an HTTP request (headers with lower-cased keys; nil: none
// could be read) before anything else is read from it: authentication
// (Unauthenticated), method (MethodNotAllowed), content type
// (UnsupportedMediaType). It returns nil when the request passes, else the
// caller's answer and why, which may say how to configure the function, for
// the log only. Neither holds the token nor any header's value.
func (s Security) CheckHTTP(method string, headers map[string]string) (refusal *answer.Error, reason string) {
	if headers == nil {
		return answer.Errorf(answer.CodeUnauthenticated, unauthenticatedMessage), "the HTTP event holds no request"
	}
	if why := s.authenticate(headers["authorization"]); why != "" {
		return answer.Errorf(answer.CodeUnauthenticated, unauthenticatedMessage), why
	}
	if err := s.checkMethod(method); err != nil {
		return err, "method not allowed"
	}
	if err := checkContentType(headers["content-type"]); err != nil {
		return err, "content type not supported"
	}
	return nil, ""
}

// authenticate checks the Authorization header; it returns "" when the
// caller may go on, else why not (for the log).
func (s Security) authenticate(authorization string) string {
	if s.TokenSHA256 == nil {
		if s.AllowAnonymousHTTP {
			return ""
		}
		return "no token is configured: set " + EnvAPIToken + " (or its SHA-256 in " + EnvAPITokenSHA256 +
			") and send it as Authorization: Bearer <token>; or set " + EnvAllowAnonymousHTTP +
			"=true when API Gateway authenticates the callers"
	}
	token, ok := BearerToken(authorization)
	// Compared even when there is no token, so a refusal takes as long
	// whatever was sent.
	match := subtle.ConstantTimeCompare(TokenDigest(token), s.TokenSHA256) == 1
	switch {
	case authorization == "":
		return "no Authorization header"
	case !ok:
		return "the Authorization header is not a bearer token"
	case !match:
		return "the bearer token does not match " + EnvAPIToken + "/" + EnvAPITokenSHA256
	}
	return ""
}

// BearerToken returns the token of "Bearer <token>", the scheme in any case.
func BearerToken(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// allowedMethods lists the methods accepted, for messages.
func (s Security) allowedMethods() string {
	if s.AllowGET {
		return "POST or GET"
	}
	return "POST"
}

func (s Security) checkMethod(method string) *answer.Error {
	switch m := strings.ToUpper(strings.TrimSpace(method)); {
	case m == http.MethodPost, m == http.MethodGet && s.AllowGET:
		return nil
	case m == "":
		return answer.Errorf(answer.CodeMethodNotAllowed, "the request names no method; use %s", s.allowedMethods())
	default:
		return answer.Errorf(answer.CodeMethodNotAllowed, "the method %s is not allowed; use %s", answer.Quote(method), s.allowedMethods())
	}
}

// checkContentType accepts JSON (also assumed without a Content-Type) and a
// form, whatever their parameters (charset).
func checkContentType(contentType string) *answer.Error {
	if strings.TrimSpace(contentType) == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mediaType == "application/json" || mediaType == "application/x-www-form-urlencoded") {
		return nil
	}
	return answer.Errorf(answer.CodeUnsupportedMediaType, "the content type %s is not supported; send application/json or application/x-www-form-urlencoded", answer.Quote(contentType))
}

// AllowProject refuses (ProjectNotAllowed) a project ALLOWED_PROJECT_IDS does
// not list; while it names projects not yet resolved (AllowedProjectNames),
// it allows any: WithNames's Security checks them.
func (s Security) AllowProject(projectID int64) *answer.Error {
	if len(s.AllowedProjectIDs) == 0 || slices.Contains(s.AllowedProjectIDs, projectID) || len(s.AllowedProjectNames) > 0 {
		return nil
	}
	allowed := make([]string, len(s.AllowedProjectIDs))
	for i, id := range s.AllowedProjectIDs {
		allowed[i] = strconv.FormatInt(id, 10)
	}
	return answer.Errorf(answer.CodeProjectNotAllowed, "the function may not move instances into project %d; it may into %s", projectID, strings.Join(allowed, ", "))
}
