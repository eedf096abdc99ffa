package signer

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewTC3Request(t *testing.T) {
	const id, key = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	call := TC3Call{Service: "cvm", Action: "DescribeInstances", Version: "2017-03-12", Region: "ap-guangzhou"}
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
			u := &url.URL{Scheme: "https", Host: tc3Example.Host, Path: tc3Example.Path}
			req, err := NewTC3Request(context.Background(), u, call, tc3Example.Payload, tc3Example.Timestamp, id, key, tt.token)
			require.NoError(t, err)
			assert.Equal(t, tt.want, req.Header)
			assert.Equal(t, "POST https://cvm.tencentcloudapi.com/", req.Method+" "+req.URL.String())
			body, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			assert.Equal(t, tc3Example.Payload, body)
		})
	}
}

func TestDecodeResponse(t *testing.T) {
	type instances struct{ TotalCount int }
	tests := []struct {
		name      string
		body      string
		want      Response
		found     bool
		err       string
		wantTotal int
	}{
		{"success: the Response goes into out", `{"Response":{"TotalCount":3,"RequestId":"r1"}}`, Response{RequestID: "r1"}, true, "", 3},
		{"refusal: out is left alone", `{"Response":{"TotalCount":3,"Error":{"Code":"InvalidParameter","Message":"bad"},"RequestId":"r2"}}`,
			Response{RequestID: "r2", Error: &struct{ Code, Message string }{"InvalidParameter", "bad"}}, true, "", 0},
		{"JSON without a Response", `{"code":4100,"message":"x"}`, Response{}, false, "", 0},
		{"a null Response", `{"Response":null}`, Response{}, false, "", 0},
		{"not JSON", `<html>`, Response{}, false, "the answer is not JSON (6 bytes)", 0},
		{"a Response that is not an object", `{"Response":5}`, Response{}, false, "the answer is not JSON (14 bytes)", 0},
		{"a Response out cannot hold", `{"Response":{"TotalCount":"3","RequestId":"r3"}}`, Response{RequestID: "r3"}, true, "decoding the Response", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out instances
			r, found, err := DecodeResponse([]byte(tt.body), &out)
			assert.Equal(t, tt.want, r)
			assert.Equal(t, tt.found, found)
			if tt.err == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.err)
			}
			assert.Equal(t, tt.wantTotal, out.TotalCount)
		})
	}
}
