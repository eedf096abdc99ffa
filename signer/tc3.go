package signer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TC3Request is what a TC3-HMAC-SHA256 signature covers. The signed headers
// are always content-type and host, as the official SDKs sign them.
type TC3Request struct {
	HTTPMethod  string // "POST"
	Path        string // canonical URI, "/" for API 3.0
	Query       string // canonical query string, "" for POST
	Host        string
	ContentType string // e.g. "application/json; charset=utf-8"
	Payload     []byte
	Service     string // e.g. "cvm"
	Timestamp   int64  // Unix seconds, also sent as X-TC-Timestamp
}

// TC3SignedHeaders lists the headers every TC3 signature here covers.
const TC3SignedHeaders = "content-type;host"

// TC3CanonicalRequest returns the canonical request of r.
func TC3CanonicalRequest(r TC3Request) string {
	path := r.Path
	if path == "" {
		path = "/"
	}
	return strings.ToUpper(r.HTTPMethod) + "\n" +
		path + "\n" +
		r.Query + "\n" +
		"content-type:" + strings.ToLower(strings.TrimSpace(r.ContentType)) + "\n" +
		"host:" + strings.ToLower(r.Host) + "\n" +
		"\n" +
		TC3SignedHeaders + "\n" +
		sha256Hex(r.Payload)
}

// TC3Date returns the UTC date of ts as the credential scope spells it.
func TC3Date(ts int64) string {
	return time.Unix(ts, 0).UTC().Format("2006-01-02")
}

// TC3CredentialScope returns date/service/tc3_request.
func TC3CredentialScope(r TC3Request) string {
	return TC3Date(r.Timestamp) + "/" + r.Service + "/tc3_request"
}

// TC3StringToSign returns the string to sign for r.
func TC3StringToSign(r TC3Request) string {
	return string(TC3HmacSHA256) + "\n" +
		strconv.FormatInt(r.Timestamp, 10) + "\n" +
		TC3CredentialScope(r) + "\n" +
		sha256Hex([]byte(TC3CanonicalRequest(r)))
}

// TC3SigningKey derives the key that signs on date for service.
func TC3SigningKey(secretKey, date, service string) []byte {
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "tc3_request")
}

// TC3Signature returns the hex signature of r.
func TC3Signature(r TC3Request, secretKey string) string {
	key := TC3SigningKey(secretKey, TC3Date(r.Timestamp), r.Service)
	return hex.EncodeToString(hmacSHA256(key, TC3StringToSign(r)))
}

// TC3Authorization returns the Authorization header value for r.
func TC3Authorization(r TC3Request, secretID, secretKey string) string {
	return string(TC3HmacSHA256) +
		" Credential=" + secretID + "/" + TC3CredentialScope(r) +
		", SignedHeaders=" + TC3SignedHeaders +
		", Signature=" + TC3Signature(r, secretKey)
}

func hmacSHA256(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TC3Call names what an API 3.0 request calls; the headers carry it.
type TC3Call struct {
	Action  string // e.g. "ModifyInstancesProject", "AssumeRole"
	Version string // the service's API version, e.g. "2017-03-12"
	Region  string // sent as X-TC-Region, even when empty
}

// TC3Headers returns every header of an API 3.0 request r signed with
// TC3-HMAC-SHA256: Content-Type, Authorization, X-TC-Action, X-TC-Version,
// X-TC-Timestamp, X-TC-Region and, for temporary keys (token not empty),
// X-TC-Token: the session token always travels with its key.
//
// Every service's client builds its requests with it (cvm, and the
// credentials package's STS call), so the headers are spelled once.
func TC3Headers(r TC3Request, c TC3Call, secretID, secretKey, token string) http.Header {
	h := make(http.Header, 7)
	h.Set("Content-Type", r.ContentType)
	h.Set("Authorization", TC3Authorization(r, secretID, secretKey))
	h.Set("X-TC-Action", c.Action)
	h.Set("X-TC-Version", c.Version)
	h.Set("X-TC-Timestamp", strconv.FormatInt(r.Timestamp, 10))
	h.Set("X-TC-Region", c.Region)
	if token != "" {
		h.Set("X-TC-Token", token)
	}
	return h
}
