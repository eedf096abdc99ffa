package guard

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Redacted stands in for a secret in a log line.
const Redacted = "[REDACTED]"

// minSecretLen is the shortest value Redact masks: shorter ones are no
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

// Redact returns s, text bound for the log, with each of secrets (keys, the
// session token, API_TOKEN, the caller's Authorization header; trimmed, and
// left alone when shorter than minSecretLen) and every match of
// secretPatterns replaced by [REDACTED]; longer values first, so a value
// that holds another is masked whole.
func Redact(s string, secrets ...string) string {
	values := make([]string, 0, len(secrets))
	for _, v := range secrets {
		if v = strings.TrimSpace(v); len(v) >= minSecretLen {
			values = append(values, v)
		}
	}
	slices.SortFunc(values, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	for _, v := range slices.Compact(values) {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	for _, p := range secretPatterns() {
		s = p.ReplaceAllString(s, "${1}"+Redacted)
	}
	return s
}
