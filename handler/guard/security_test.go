package guard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
)

// A made-up token, and the digest of another one.
const (
	testToken      = "test-token-4f1c9a0e7b2d6c83-EXAMPLE"
	otherDigestHex = "0b7d5e1fd0b8a0b1e2a0c0b9f0b8e4d17c3f4d6f3f0b8e1a0c3d4e5f60718293"
)

// testTokenDigestHex is what printf %s "$TOKEN" | sha256sum prints for testToken.
func testTokenDigestHex() string {
	sum := sha256.Sum256([]byte(testToken))
	return hex.EncodeToString(sum[:])
}

func TestTokenDigest(t *testing.T) {
	assert.Equal(t, testTokenDigestHex(), hex.EncodeToString(TokenDigest(testToken)))
	assert.NotEqual(t, otherDigestHex, hex.EncodeToString(TokenDigest(testToken)))
	// sha256sum of the empty input, a published value.
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex.EncodeToString(TokenDigest("")))
}

func TestFromEnv(t *testing.T) {
	digest := TokenDigest(testToken)
	tests := []struct {
		name string
		env  map[string]string
		want Security
	}{
		{"nothing set: the safe defaults", map[string]string{}, Security{}},
		{"blank is unset", map[string]string{EnvAPIToken: "  ", EnvAllowedProjectIDs: " ", EnvMaxInstances: "", EnvDryRun: " "}, Security{}},
		{"a token", map[string]string{EnvAPIToken: testToken}, Security{TokenSHA256: digest}},
		{"a token with a trailing newline", map[string]string{EnvAPIToken: testToken + "\n"}, Security{TokenSHA256: digest}},
		{"its digest", map[string]string{EnvAPITokenSHA256: testTokenDigestHex()}, Security{TokenSHA256: digest}},
		{"its digest in upper case", map[string]string{EnvAPITokenSHA256: strings.ToUpper(testTokenDigestHex())}, Security{TokenSHA256: digest}},
		{"both, agreeing", map[string]string{EnvAPIToken: testToken, EnvAPITokenSHA256: testTokenDigestHex()}, Security{TokenSHA256: digest}},
		{"the flags", map[string]string{EnvAllowAnonymousHTTP: "true", EnvAllowGET: "1", EnvDryRun: "TRUE"},
			Security{AllowAnonymousHTTP: true, AllowGET: true, DryRun: true}},
		{"the flags off", map[string]string{EnvAllowAnonymousHTTP: "false", EnvAllowGET: "0", EnvDryRun: "f"}, Security{}},
		{"an allow-list of commas names no project: unset, as blank is", map[string]string{EnvAllowedProjectIDs: " , ,"}, Security{}},
		{"an allow-list, spaces and repeats", map[string]string{EnvAllowedProjectIDs: " 0, 1045 ,7,1045"}, Security{AllowedProjectIDs: []int64{0, 1045, 7}}},
		{"MAX_INSTANCES", map[string]string{EnvMaxInstances: "250"}, Security{MaxInstances: 250}},
		{"MAX_INSTANCES at its ceiling", map[string]string{EnvMaxInstances: "100000"}, Security{MaxInstances: MaxInstancesCeiling}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromEnv(func(k string) string { return tt.env[k] })
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFromEnvRefusesMalformedSettings(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantVars []string // each named in the error
	}{
		{"a short token", map[string]string{EnvAPIToken: "hunter2"}, []string{EnvAPIToken}},
		{"a digest not hex", map[string]string{EnvAPITokenSHA256: strings.Repeat("z", 64)}, []string{EnvAPITokenSHA256}},
		{"a digest too short", map[string]string{EnvAPITokenSHA256: testTokenDigestHex()[:62]}, []string{EnvAPITokenSHA256}},
		{"a token and another token's digest", map[string]string{EnvAPIToken: testToken, EnvAPITokenSHA256: otherDigestHex}, []string{EnvAPITokenSHA256}},
		{"a flag not a boolean", map[string]string{EnvAllowAnonymousHTTP: "yes"}, []string{EnvAllowAnonymousHTTP}},
		{"ALLOW_GET not a boolean", map[string]string{EnvAllowGET: "on"}, []string{EnvAllowGET}},
		{"DRY_RUN not a boolean", map[string]string{EnvDryRun: "dry"}, []string{EnvDryRun}},
		{"a project not a number", map[string]string{EnvAllowedProjectIDs: "5,x"}, []string{EnvAllowedProjectIDs}},
		{"a negative project", map[string]string{EnvAllowedProjectIDs: "-1"}, []string{EnvAllowedProjectIDs}},
		{"an empty item", map[string]string{EnvAllowedProjectIDs: "5,,6"}, []string{EnvAllowedProjectIDs}},
		{"a trailing comma", map[string]string{EnvAllowedProjectIDs: "5,"}, []string{EnvAllowedProjectIDs}},
		{"MAX_INSTANCES zero", map[string]string{EnvMaxInstances: "0"}, []string{EnvMaxInstances}},
		{"MAX_INSTANCES over the ceiling", map[string]string{EnvMaxInstances: "100001"}, []string{EnvMaxInstances}},
		{"MAX_INSTANCES not a number", map[string]string{EnvMaxInstances: "10k"}, []string{EnvMaxInstances}},
		{"every fault is named", map[string]string{EnvMaxInstances: "-5", EnvDryRun: "maybe", EnvAllowedProjectIDs: "a"},
			[]string{EnvMaxInstances, EnvDryRun, EnvAllowedProjectIDs}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(func(k string) string { return tt.env[k] })
			require.Error(t, err)
			for _, v := range tt.wantVars {
				assert.Contains(t, err.Error(), v+": ")
			}
			for _, secret := range []string{"hunter2", testToken, otherDigestHex, testTokenDigestHex()} {
				assert.NotContains(t, err.Error(), secret, "a setting's error never repeats a token")
			}
		})
	}
}

func TestInstanceLimit(t *testing.T) {
	assert.Equal(t, request.MaxInstanceIDs, Security{}.InstanceLimit())
	assert.Equal(t, 5, Security{MaxInstances: 5}.InstanceLimit())
	assert.Equal(t, MaxInstancesCeiling, Security{MaxInstances: MaxInstancesCeiling + 1}.InstanceLimit())
}

// httpReq is what CheckHTTP is given of an HTTP request: its method and
// its headers, keys in lower case; a nil *httpReq is no request at all.
type httpReq struct {
	method  string
	headers map[string]string
}

func httpRequest(method, contentType, authorization string) *httpReq {
	h := map[string]string{}
	if contentType != "" {
		h["content-type"] = contentType
	}
	if authorization != "" {
		h["authorization"] = authorization
	}
	return &httpReq{method: method, headers: h}
}

// check runs sec.CheckHTTP on req as the handler does: no request, no
// headers.
func check(sec Security, req *httpReq) (*answer.Error, string) {
	if req == nil {
		return sec.CheckHTTP("", nil)
	}
	return sec.CheckHTTP(req.method, req.headers)
}

// The checks, in their order: authentication, method, content type.
func TestCheckHTTP(t *testing.T) {
	withToken := Security{TokenSHA256: TokenDigest(testToken)}
	bearer := "Bearer " + testToken
	tests := []struct {
		name     string
		sec      Security
		req      *httpReq
		wantCode string // "" when the request passes
	}{
		{"the token, POST, JSON", withToken, httpRequest("POST", "application/json", bearer), ""},
		{"no content type: JSON assumed", withToken, httpRequest("POST", "", bearer), ""},
		{"a form, with a charset", withToken, httpRequest("POST", "application/x-www-form-urlencoded; charset=utf-8", bearer), ""},
		{"JSON with a charset, in another case", withToken, httpRequest("post", "Application/JSON; charset=UTF-8", bearer), ""},
		{"the scheme in lower case", withToken, httpRequest("POST", "", "bearer "+testToken), ""},
		{"no token configured, anonymous allowed", Security{AllowAnonymousHTTP: true}, httpRequest("POST", "", ""), ""},
		{"GET when allowed", Security{TokenSHA256: TokenDigest(testToken), AllowGET: true}, httpRequest("GET", "", bearer), ""},

		{"no token configured: refused", Security{}, httpRequest("POST", "application/json", bearer), answer.CodeUnauthenticated},
		{"no Authorization header", withToken, httpRequest("POST", "application/json", ""), answer.CodeUnauthenticated},
		{"a wrong token", withToken, httpRequest("POST", "application/json", "Bearer "+testToken+"x"), answer.CodeUnauthenticated},
		{"a prefix of the token", withToken, httpRequest("POST", "application/json", "Bearer "+testToken[:20]), answer.CodeUnauthenticated},
		{"the token without its scheme", withToken, httpRequest("POST", "application/json", testToken), answer.CodeUnauthenticated},
		{"Basic", withToken, httpRequest("POST", "application/json", "Basic "+testToken), answer.CodeUnauthenticated},
		{"Bearer and nothing", withToken, httpRequest("POST", "application/json", "Bearer "), answer.CodeUnauthenticated},
		{"the digest sent as the token", withToken, httpRequest("POST", "application/json", "Bearer "+testTokenDigestHex()), answer.CodeUnauthenticated},
		{"a configured token is required even when anonymous is allowed", Security{TokenSHA256: TokenDigest(testToken), AllowAnonymousHTTP: true},
			httpRequest("POST", "application/json", ""), answer.CodeUnauthenticated},
		{"no event", withToken, nil, answer.CodeUnauthenticated},

		{"GET by default", withToken, httpRequest("GET", "", bearer), answer.CodeMethodNotAllowed},
		{"PUT", Security{TokenSHA256: TokenDigest(testToken), AllowGET: true}, httpRequest("PUT", "application/json", bearer), answer.CodeMethodNotAllowed},
		{"no method", withToken, httpRequest("", "application/json", bearer), answer.CodeMethodNotAllowed},

		{"text/plain", withToken, httpRequest("POST", "text/plain", bearer), answer.CodeUnsupportedMediaType},
		{"multipart", withToken, httpRequest("POST", "multipart/form-data; boundary=x", bearer), answer.CodeUnsupportedMediaType},
		{"a malformed content type", withToken, httpRequest("POST", "application/json; =", bearer), answer.CodeUnsupportedMediaType},

		{"authentication comes before the method", withToken, httpRequest("DELETE", "text/plain", ""), answer.CodeUnauthenticated},
		{"the method comes before the content type", withToken, httpRequest("DELETE", "text/plain", bearer), answer.CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusal, reason := check(tt.sec, tt.req)
			if tt.wantCode == "" {
				assert.Nil(t, refusal)
				assert.Empty(t, reason)
				return
			}
			require.NotNil(t, refusal)
			assert.Equal(t, tt.wantCode, refusal.Code)
			assert.NotEmpty(t, reason)
			for _, s := range []string{testToken, testToken[:20], testTokenDigestHex()} {
				assert.NotContains(t, refusal.Message, s, "the answer never repeats a token")
				assert.NotContains(t, reason, s, "the log never repeats a token")
			}
			if tt.wantCode == answer.CodeUnauthenticated {
				assert.Equal(t, unauthenticatedMessage, refusal.Message, "a refused caller learns nothing else")
			}
		})
	}
}

// How to configure a token is told to the log, never to the caller.
func TestUnauthenticatedReasonGoesToTheLogOnly(t *testing.T) {
	refusal, reason := check(Security{}, httpRequest("POST", "", ""))
	require.NotNil(t, refusal)
	assert.Contains(t, reason, EnvAPIToken)
	assert.Contains(t, reason, EnvAllowAnonymousHTTP)
	assert.NotContains(t, refusal.Message, EnvAPIToken)
	assert.NotContains(t, refusal.Message, EnvAllowAnonymousHTTP)
}

func TestAllowProject(t *testing.T) {
	tests := []struct {
		allowed []int64
		project int64
		allow   bool
	}{
		{nil, 1045, true},
		{nil, 0, true},
		{[]int64{1045}, 1045, true},
		{[]int64{0, 1045}, 0, true},
		{[]int64{1045}, 1046, false},
		{[]int64{1045}, 0, false},
		{[]int64{7, 1045}, 104, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.allowed, tt.project), func(t *testing.T) {
			err := Security{AllowedProjectIDs: tt.allowed}.AllowProject(tt.project)
			if tt.allow {
				assert.Nil(t, err)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, answer.CodeProjectNotAllowed, err.Code)
			assert.Contains(t, err.Message, fmt.Sprint(tt.project))
		})
	}
}

func TestHTTPAuth(t *testing.T) {
	assert.Equal(t, "bearer token", Security{TokenSHA256: TokenDigest(testToken), AllowAnonymousHTTP: true}.HTTPAuth())
	assert.Contains(t, Security{AllowAnonymousHTTP: true}.HTTPAuth(), "anonymous")
	assert.Contains(t, Security{}.HTTPAuth(), "refused")
}
