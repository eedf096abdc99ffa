package signer

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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

// TC3Signed is a TC3-HMAC-SHA256 signature and the steps that made it,
// as the published worked example names them.
type TC3Signed struct {
	CanonicalRequest string
	Date             string // the UTC date of the timestamp, as the scope spells it
	CredentialScope  string // date/service/tc3_request
	StringToSign     string
	Signature        string // hex
	Authorization    string // the Authorization header's value
}

// TC3Sign signs r with the key pair secretID, secretKey.
func TC3Sign(r TC3Request, secretID, secretKey string) TC3Signed {
	s := TC3Signed{Date: time.Unix(r.Timestamp, 0).UTC().Format("2006-01-02")}
	payloadHash := sha256.Sum256(r.Payload)
	s.CanonicalRequest = strings.ToUpper(r.HTTPMethod) + "\n" +
		cmp.Or(r.Path, "/") + "\n" +
		r.Query + "\n" +
		"content-type:" + strings.ToLower(strings.TrimSpace(r.ContentType)) + "\n" +
		"host:" + strings.ToLower(r.Host) + "\n" +
		"\n" +
		TC3SignedHeaders + "\n" +
		hex.EncodeToString(payloadHash[:])
	s.CredentialScope = s.Date + "/" + r.Service + "/tc3_request"
	requestHash := sha256.Sum256([]byte(s.CanonicalRequest))
	s.StringToSign = string(TC3HmacSHA256) + "\n" +
		strconv.FormatInt(r.Timestamp, 10) + "\n" +
		s.CredentialScope + "\n" +
		hex.EncodeToString(requestHash[:])
	// The key is derived by HMAC-SHA256 along the scope, and signs last.
	key := []byte("TC3" + secretKey)
	for _, msg := range []string{s.Date, r.Service, "tc3_request", s.StringToSign} {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(msg))
		key = mac.Sum(nil)
	}
	s.Signature = hex.EncodeToString(key)
	s.Authorization = string(TC3HmacSHA256) +
		" Credential=" + secretID + "/" + s.CredentialScope +
		", SignedHeaders=" + TC3SignedHeaders +
		", Signature=" + s.Signature
	return s
}

// TC3Call names what an API 3.0 request calls; its signature's scope and
// its headers carry it.
type TC3Call struct {
	Service string // the service's name in the credential scope, e.g. "cvm", "sts"
	Action  string // e.g. "ModifyInstancesProject", "AssumeRole"
	Version string // the service's API version, e.g. "2017-03-12"
	Region  string // sent as X-TC-Region, even when empty
}

// JSONContentType is the Content-Type of every API 3.0 request here.
const JSONContentType = "application/json; charset=utf-8"

// NewTC3Request returns the POST of payload (JSON) to endpoint making c,
// signed with TC3-HMAC-SHA256 at ts (Unix seconds): headers Content-Type,
// Authorization, X-TC-Action, X-TC-Version, X-TC-Timestamp, X-TC-Region
// and, when token is not empty, X-TC-Token.
func NewTC3Request(ctx context.Context, endpoint *url.URL, c TC3Call, payload []byte, ts int64, secretID, secretKey, token string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	r := TC3Request{HTTPMethod: http.MethodPost, Path: endpoint.Path, Host: endpoint.Host,
		ContentType: JSONContentType, Payload: payload, Service: c.Service, Timestamp: ts}
	h := make(http.Header, 7)
	h.Set("Content-Type", r.ContentType)
	h.Set("Authorization", TC3Sign(r, secretID, secretKey).Authorization)
	h.Set("X-TC-Action", c.Action)
	h.Set("X-TC-Version", c.Version)
	h.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	h.Set("X-TC-Region", c.Region)
	if token != "" {
		h.Set("X-TC-Token", token)
	}
	req.Header = h
	return req, nil
}

// Response is what every API 3.0 answer's Response holds, besides what its
// action answers: the RequestId and, for a refusal, the Error.
type Response struct {
	RequestID string `json:"RequestId"`
	Error     *struct{ Code, Message string }
}

// DecodeResponse reads an API 3.0 answer, {"Response":{...}}: its RequestId
// and Error and, without an Error, the whole Response into out (unless
// nil). found is false for JSON without a Response; err says the body is
// not JSON, or why out could not be read. Each is decoded from body
// itself: a Response of 100 instances is read twice, not copied and read
// thrice.
func DecodeResponse(body []byte, out any) (r Response, found bool, err error) {
	var a struct{ Response *Response }
	if json.Unmarshal(body, &a) != nil {
		return Response{}, false, fmt.Errorf("the answer is not JSON (%d bytes)", len(body))
	}
	if a.Response == nil {
		return Response{}, false, nil
	}
	if r = *a.Response; r.Error == nil && out != nil {
		// Unmarshal decodes into the pointer an interface holds.
		if err := json.Unmarshal(body, &struct{ Response any }{out}); err != nil {
			return r, true, fmt.Errorf("decoding the Response: %w", err)
		}
	}
	return r, true, nil
}
