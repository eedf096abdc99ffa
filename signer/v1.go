package signer

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"sort"
	"strings"
)

// Method names a signature method as the API spells it.
type Method string

// The signature methods the API accepts.
const (
	HmacSHA1      Method = "HmacSHA1"
	HmacSHA256    Method = "HmacSHA256"
	TC3HmacSHA256 Method = "TC3-HMAC-SHA256"
)

// ParseMethod returns the Method spelled s, or an error naming s.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case HmacSHA1, HmacSHA256, TC3HmacSHA256:
		return m, nil
	}
	return "", fmt.Errorf("signer: unknown signature method %q (want HmacSHA256, HmacSHA1 or TC3-HMAC-SHA256)", s)
}

// V1Request is what a v1 signature covers: the HTTP method, the host and
// path of the endpoint, and every parameter except Signature itself.
type V1Request struct {
	HTTPMethod string // "GET" or "POST"
	Host       string // e.g. "cvm.api.qcloud.com", with a port when not the default
	Path       string // e.g. "/v2/index.php" or "/"
	Params     map[string]string
	// Legacy selects the rule of the legacy endpoint (cvm.api.qcloud.com):
	// every "_" in a parameter name is written "." in the string to sign.
	Legacy bool
}

// V1StringToSign returns METHOD + host + path + "?" + the parameters sorted
// by name and joined as key=value with "&", values not URL-encoded.
func V1StringToSign(r V1Request) string {
	keys := make([]string, 0, len(r.Params))
	size := len(r.HTTPMethod) + len(r.Host) + len(r.Path) + 1
	for k, v := range r.Params {
		keys = append(keys, k)
		size += len(k) + len(v) + 2
	}
	sort.Strings(keys)

	var b strings.Builder
	b.Grow(size)
	b.WriteString(strings.ToUpper(r.HTTPMethod))
	b.WriteString(r.Host)
	b.WriteString(r.Path)
	b.WriteByte('?')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		name := k
		if r.Legacy {
			name = strings.ReplaceAll(k, "_", ".")
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(r.Params[k])
	}
	return b.String()
}

// SignV1 returns the Signature parameter for r: base64(HMAC(secretKey,
// V1StringToSign(r))) with the hash that method names. TC3 is not a v1
// method and is refused.
func SignV1(r V1Request, method Method, secretKey string) (string, error) {
	var h func() hash.Hash
	switch method {
	case HmacSHA1:
		h = sha1.New
	case HmacSHA256:
		h = sha256.New
	default:
		return "", fmt.Errorf("signer: %q is not a v1 signature method", method)
	}
	mac := hmac.New(h, []byte(secretKey))
	mac.Write([]byte(V1StringToSign(r)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
