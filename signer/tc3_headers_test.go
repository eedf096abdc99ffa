package signer

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTC3Headers(t *testing.T) {
	const id, key = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	call := TC3Call{Action: "DescribeInstances", Version: "2017-03-12", Region: "ap-guangzhou"}
	tests := []struct {
		name  string
		token string
		want  http.Header
	}{
		{"permanent key: no token header", "", http.Header{
			"Content-Type":   {"application/json; charset=utf-8"},
			"Authorization":  {"TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"},
			"X-Tc-Action":    {"DescribeInstances"},
			"X-Tc-Version":   {"2017-03-12"},
			"X-Tc-Timestamp": {"1551113065"},
			"X-Tc-Region":    {"ap-guangzhou"},
		}},
		{"temporary key: the token travels with it", "made-up-session-token", http.Header{
			"Content-Type":   {"application/json; charset=utf-8"},
			"Authorization":  {"TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"},
			"X-Tc-Action":    {"DescribeInstances"},
			"X-Tc-Version":   {"2017-03-12"},
			"X-Tc-Timestamp": {"1551113065"},
			"X-Tc-Region":    {"ap-guangzhou"},
			"X-Tc-Token":     {"made-up-session-token"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, TC3Headers(tc3Example, call, id, key, tt.token))
		})
	}
}
