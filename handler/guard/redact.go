package guard

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Redacted stands in for a secret in a log line.
const Redacted = "[REDACTED]"

// minSecretLen is the shortest value a redactor masks: shorter ones are no
// secret worth the name, and masking them would garble the text.
const minSecretLen = 6

// secretPatterns mask what looks like a secret even when its value is not
// known: v1's Signature and Token parameters, a SecretKey, TC3's
// "Signature=<hex>", and a bearer token. Compiled at the first Redact (a
// panic's log line), not at every cold start.
var secretPatterns = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b((?:Signature|Token|SecretKey|X-TC-Token)\s*[=:]\s*)[^&\s",;}]+`),
		regexp.MustCompile(`(?i)\b(Bearer\s+)[^\s",;}]+`),
	}
})

// Redactor masks secrets in text bound for the log: the values it was told
// (keys, the session token, API_TOKEN, the caller's Authorization header),
// and anything secretPatterns match. Its zero value masks by pattern only.
type Redactor struct {
	values []string
}

// With returns a copy of r that also masks values.
func (r Redactor) With(values ...string) Redactor {
	out := Redactor{values: slices.Clone(r.values)}
	for _, v := range values {
		if v = strings.TrimSpace(v); len(v) >= minSecretLen && !slices.Contains(out.values, v) {
			out.values = append(out.values, v)
		}
	}
	return out
}

// Redact returns s with every known secret value and every match of
// secretPatterns replaced by [REDACTED]; longer values first, so a value
// that holds another is masked whole.
func (r Redactor) Redact(s string) string {
	values := slices.Clone(r.values)
	slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
	for _, v := range values {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	for _, p := range secretPatterns() {
		s = p.ReplaceAllString(s, "${1}"+Redacted)
	}
	return s
}
