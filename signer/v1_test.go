package signer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The published worked examples of the v1 signature: the legacy endpoint's
// (both hash methods) and API 3.0's.
func TestV1PublishedExamples(t *testing.T) {
	legacyParams := func(method string) map[string]string {
		return map[string]string{
			"Action":          "DescribeInstances",
			"InstanceIds.0":   "ins-09dx96dg",
			"Nonce":           "11886",
			"Region":          "ap-guangzhou",
			"SecretId":        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA",
			"SignatureMethod": method,
			"Timestamp":       "1465185768",
		}
	}
	tests := []struct {
		name       string
		req        V1Request
		method     Method
		key        string
		wantString string
		wantSig    string
	}{
		{
			name:       "legacy HmacSHA256",
			req:        V1Request{HTTPMethod: "GET", Host: "cvm.api.qcloud.com", Path: "/v2/index.php", Params: legacyParams("HmacSHA256"), Legacy: true},
			method:     HmacSHA256,
			key:        "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA",
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768",
			wantSig:    "0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=",
		},
		{
			name:       "legacy HmacSHA1",
			req:        V1Request{HTTPMethod: "GET", Host: "cvm.api.qcloud.com", Path: "/v2/index.php", Params: legacyParams("HmacSHA1"), Legacy: true},
			method:     HmacSHA1,
			key:        "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA",
			wantString: "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Timestamp=1465185768",
			wantSig:    "nPVnY6njQmwQ8ciqbPl5Qe+Oru4=",
		},
		{
			name: "API 3.0 HmacSHA1",
			req: V1Request{HTTPMethod: "GET", Host: "cvm.tencentcloudapi.com", Path: "/", Params: map[string]string{
				"Action":        "DescribeInstances",
				"InstanceIds.0": "ins-09dx96dg",
				"Limit":         "20",
				"Nonce":         "11886",
				"Offset":        "0",
				"Region":        "ap-guangzhou",
				"SecretId":      "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
				"Timestamp":     "1465185768",
				"Version":       "2017-03-12",
			}},
			method:     HmacSHA1,
			key:        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
			wantString: "GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12",
			wantSig:    "EliP9YW3pW28FpsEdkXt/+WcGeI=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantString, V1StringToSign(tt.req))
			sig, err := SignV1(tt.req, tt.method, tt.key)
			require.NoError(t, err)
			assert.Equal(t, tt.wantSig, sig)
		})
	}
}

func TestV1LegacyNamesUnderscoreAsDot(t *testing.T) {
	req := V1Request{HTTPMethod: "post", Host: "h", Path: "/v2/index.php", Params: map[string]string{"InstanceIds_1": "ins-a", "B": "x_y"}}
	assert.Equal(t, "POSTh/v2/index.php?B=x_y&InstanceIds_1=ins-a", V1StringToSign(req), "API 3.0 keeps names as sent")
	req.Legacy = true
	assert.Equal(t, "POSTh/v2/index.php?B=x_y&InstanceIds.1=ins-a", V1StringToSign(req), "legacy writes _ as . in names, not values")
}

func TestSignV1RefusesTC3(t *testing.T) {
	_, err := SignV1(V1Request{}, TC3HmacSHA256, "k")
	require.Error(t, err)
}

func TestParseMethod(t *testing.T) {
	for _, s := range []string{"HmacSHA1", "HmacSHA256", "TC3-HMAC-SHA256"} {
		m, err := ParseMethod(s)
		require.NoError(t, err)
		assert.Equal(t, Method(s), m)
	}
	_, err := ParseMethod("hmacsha256")
	require.ErrorContains(t, err, "hmacsha256")
}

func BenchmarkSignV1HundredIDs(b *testing.B) {
	params := map[string]string{
		"Action": "ModifyInstancesProject", "Nonce": "11886", "Region": "ap-guangzhou", "ProjectId": "1045",
		"SecretId": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "SignatureMethod": "HmacSHA256", "Timestamp": "1465185768", "Version": "2017-03-12",
	}
	for i := 1; i <= 100; i++ {
		params["InstanceIds."+itoa(i)] = "ins-" + itoa(10000000+i)
	}
	req := V1Request{HTTPMethod: "POST", Host: "cvm.api.qcloud.com", Path: "/v2/index.php", Params: params, Legacy: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignV1(req, HmacSHA256, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"); err != nil {
			b.Fatal(err)
		}
	}
}
