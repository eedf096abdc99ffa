package signer

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The published TC3-HMAC-SHA256 worked example (DescribeInstances).
var tc3Example = TC3Request{
	HTTPMethod:  "POST",
	Path:        "/",
	Host:        "cvm.tencentcloudapi.com",
	ContentType: "application/json; charset=utf-8",
	Payload:     []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`),
	Service:     "cvm",
	Timestamp:   1551113065,
}

func TestTC3PublishedExample(t *testing.T) {
	got := TC3Sign(tc3Example, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
	wantCanonical := "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n" +
		"35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
	assert.Equal(t, wantCanonical, got.CanonicalRequest)
	assert.Equal(t, "2019-02-25", got.Date)
	assert.Equal(t, "2019-02-25/cvm/tc3_request", got.CredentialScope)
	assert.Equal(t, "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031", got.StringToSign)
	assert.Equal(t, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168", got.Signature)
	assert.Equal(t,
		"TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		got.Authorization)
}

func TestTC3SignatureCoversEveryPart(t *testing.T) {
	base := TC3Sign(tc3Example, "", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE").Signature
	mutations := map[string]func(*TC3Request){
		"payload":   func(r *TC3Request) { r.Payload = append([]byte(nil), append(r.Payload, ' ')...) },
		"host":      func(r *TC3Request) { r.Host = "cvm.ap-guangzhou.tencentcloudapi.com" },
		"timestamp": func(r *TC3Request) { r.Timestamp++ },
		"service":   func(r *TC3Request) { r.Service = "sts" },
		"type":      func(r *TC3Request) { r.ContentType = "application/json" },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			r := tc3Example
			mutate(&r)
			assert.NotEqual(t, base, TC3Sign(r, "", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE").Signature)
		})
	}
	// The date in the scope is the UTC date, not the local one.
	assert.Equal(t, "1970-01-01", TC3Sign(TC3Request{}, "", "").Date)
}

func itoa(i int) string { return strconv.Itoa(i) }
