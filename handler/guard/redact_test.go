package guard

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactor(t *testing.T) {
	r := Redactor{}.With("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "session-token-EXAMPLE", "", "  ", "abc", "session-token-EXAMPLE")
	assert.Len(t, r.values, 2, "blank, short and repeated values are not kept")
	longer := r.With("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE-and-more")

	tests := []struct {
		name string
		r    Redactor
		in   string
		want string
	}{
		{"a known key", r, "key Gu5t9xGARNpq86cd98joQYCN3EXAMPLE here", "key [REDACTED] here"},
		{"every occurrence", r, "session-token-EXAMPLE/session-token-EXAMPLE", "[REDACTED]/[REDACTED]"},
		{"the longer value whole", longer, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE-and-more.", "[REDACTED]."},
		{"a v1 form's Signature and Token", Redactor{}, "Nonce=1&Signature=abc%2Bdef%3D&Token=xyz&X=1", "Nonce=1&Signature=[REDACTED]&Token=[REDACTED]&X=1"},
		{"TC3's Authorization", Redactor{}, "TC3-HMAC-SHA256 Credential=AKID/2024-05-20/cvm/tc3_request, SignedHeaders=content-type;host, Signature=0a1b2c",
			"TC3-HMAC-SHA256 Credential=AKID/2024-05-20/cvm/tc3_request, SignedHeaders=content-type;host, Signature=[REDACTED]"},
		{"a bearer token", Redactor{}, `header "Bearer abc.def-ghi"`, `header "Bearer [REDACTED]"`},
		{"a header line", Redactor{}, "X-TC-Token: tok123\n", "X-TC-Token: [REDACTED]\n"},
		{"nothing secret", r, "index out of range [3] with length 3", "index out of range [3] with length 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.r.Redact(tt.in))
		})
	}
}

func TestRedactorWithLeavesTheOriginal(t *testing.T) {
	base := Redactor{}.With("api-token-EXAMPLE")
	_ = base.With("another-secret-EXAMPLE")
	assert.Equal(t, []string{"api-token-EXAMPLE"}, base.values, "an invocation's secrets never leak into the next's")
}
