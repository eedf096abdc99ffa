package guard

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedact(t *testing.T) {
	known := []string{"Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "session-token-EXAMPLE", "", "  ", "abc", "session-token-EXAMPLE"}
	longer := append([]string{"Gu5t9xGARNpq86cd98joQYCN3EXAMPLE-and-more"}, known...)

	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"a known key", known, "key Gu5t9xGARNpq86cd98joQYCN3EXAMPLE here", "key [REDACTED] here"},
		{"every occurrence", known, "session-token-EXAMPLE/session-token-EXAMPLE", "[REDACTED]/[REDACTED]"},
		{"the longer value whole", longer, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE-and-more.", "[REDACTED]."},
		{"blank and short values are not masked", known, "abc  abc", "abc  abc"},
		{"a v1 form's Signature and Token", nil, "Nonce=1&Signature=abc%2Bdef%3D&Token=xyz&X=1", "Nonce=1&Signature=[REDACTED]&Token=[REDACTED]&X=1"},
		{"TC3's Authorization", nil, "TC3-HMAC-SHA256 Credential=AKID/2024-05-20/cvm/tc3_request, SignedHeaders=content-type;host, Signature=0a1b2c",
			"TC3-HMAC-SHA256 Credential=AKID/2024-05-20/cvm/tc3_request, SignedHeaders=content-type;host, Signature=[REDACTED]"},
		{"a bearer token", nil, `header "Bearer abc.def-ghi"`, `header "Bearer [REDACTED]"`},
		{"a header line", nil, "X-TC-Token: tok123\n", "X-TC-Token: [REDACTED]\n"},
		{"nothing secret", known, "index out of range [3] with length 3", "index out of range [3] with length 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Redact(tt.in, tt.secrets...))
		})
	}
}
