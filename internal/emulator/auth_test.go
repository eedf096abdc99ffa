package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

// assertRefused checks that a was the error code want, that the table did
// not change, that the call was recorded with that code and that the
// message gives away no secret.
func assertRefused(t *testing.T, v *env, a answer, want string) {
	t.Helper()
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, want, a.Code, a.Message)
	assert.NotEmpty(t, a.Message)
	assert.Equal(t, projects(newEmulatorWith(testTable())), projects(v.e), "the table must not change")
	calls := v.e.Calls()
	if assert.Len(t, calls, 1) {
		assert.Equal(t, want, calls[0].Code)
	}
	assertNoSecret(t, a.Body, permKey.SecretKey, tempKey.SecretKey, tempKey.Token, unknownKey.SecretKey)
}

// assertNoSecret checks that body contains none of the non-empty secrets.
func assertNoSecret(t *testing.T, body string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" {
			assert.NotContains(t, body, s)
		}
	}
}

func newEmulatorWith(in []Instance) *Emulator {
	e := New()
	e.AddInstances(in...)
	return e
}

func TestV1AuthFailures(t *testing.T) {
	early, late := itoa(int(testNow.Unix())-301), itoa(int(testNow.Unix())+301)
	tests := []struct {
		name   string
		key    Key
		method signer.Method
		edit   func(map[string]string) // before signing
		tamper func(map[string]string) // after signing
		want   string
	}{
		{name: "no Signature", key: permKey, tamper: func(p map[string]string) { delete(p, "Signature") }, want: CodeSignatureFailure},
		{name: "no SecretId", key: permKey, edit: func(p map[string]string) { delete(p, "SecretId") }, want: CodeSignatureFailure},
		{name: "no SecretId before an expired timestamp", key: permKey, edit: func(p map[string]string) { delete(p, "SecretId"); p["Timestamp"] = early }, want: CodeSignatureFailure},
		{name: "no Timestamp", key: permKey, edit: func(p map[string]string) { delete(p, "Timestamp") }, want: CodeSignatureExpire},
		{name: "Timestamp not an integer", key: permKey, edit: func(p map[string]string) { p["Timestamp"] = "1700000000.5" }, want: CodeSignatureExpire},
		{name: "Timestamp 301 s early", key: permKey, edit: func(p map[string]string) { p["Timestamp"] = early }, want: CodeSignatureExpire},
		{name: "Timestamp 301 s late", key: permKey, edit: func(p map[string]string) { p["Timestamp"] = late }, want: CodeSignatureExpire},
		{name: "expired before an unknown SecretId", key: unknownKey, edit: func(p map[string]string) { p["Timestamp"] = late }, want: CodeSignatureExpire},
		{name: "unknown SecretId", key: unknownKey, want: CodeSecretIDNotFound},
		{name: "unknown SecretId before a bad signature", key: unknownKey, tamper: func(p map[string]string) { p["Signature"] = "AAAA" }, want: CodeSecretIDNotFound},
		{name: "signed with another key", key: Key{SecretID: permKey.SecretID, SecretKey: "wrong-secret"}, want: CodeSignatureFailure},
		{name: "parameter changed after signing", key: permKey, tamper: func(p map[string]string) { p["ProjectId"] = "1046" }, want: CodeSignatureFailure},
		{name: "ID added after signing", key: permKey, tamper: func(p map[string]string) { p["InstanceIds.2"] = "ins-aaaa0003" }, want: CodeSignatureFailure},
		{name: "SignatureMethod changed after signing", key: permKey, method: signer.HmacSHA256, tamper: func(p map[string]string) { p["SignatureMethod"] = "HmacSHA1" }, want: CodeSignatureFailure},
		{name: "unknown SignatureMethod", key: permKey, tamper: func(p map[string]string) { p["SignatureMethod"] = "HmacMD5" }, want: CodeSignatureFailure},
		{name: "TC3 as SignatureMethod", key: permKey, tamper: func(p map[string]string) { p["SignatureMethod"] = "TC3-HMAC-SHA256" }, want: CodeSignatureFailure},
		{name: "bad signature before a missing token", key: Key{SecretID: tempKey.SecretID, SecretKey: "wrong-secret"}, want: CodeSignatureFailure},
		{name: "temporary key without Token", key: Key{SecretID: tempKey.SecretID, SecretKey: tempKey.SecretKey}, want: CodeTokenFailure},
		{name: "temporary key with a wrong Token", key: Key{SecretID: tempKey.SecretID, SecretKey: tempKey.SecretKey, Token: "session-token-2"}, want: CodeTokenFailure},
		{name: "permanent key with a Token", key: Key{SecretID: permKey.SecretID, SecretKey: permKey.SecretKey, Token: "session-token-1"}, want: CodeTokenFailure},
	}
	for _, path := range []string{PathLegacy, PathAPI3} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				v := newEnv(t)
				method := tt.method
				if method == "" {
					method = signer.HmacSHA256
				}
				p := v.v1Params(t, http.MethodPost, path, tt.key, method, 0, tt.edit)
				if tt.tamper != nil {
					tt.tamper(p)
				}
				a := v.sendV1(t, http.MethodPost, path, p)
				assertRefused(t, v, a, tt.want)
				assertNoSecret(t, a.Body, p["Signature"])
			})
		}
	}
}

// The legacy endpoint signs names with "_" as "."; API 3.0 keeps them: a
// signature made by the other rule fails.
func TestV1UnderscoreRulePerEndpoint(t *testing.T) {
	for _, path := range []string{PathLegacy, PathAPI3} {
		t.Run(path, func(t *testing.T) {
			v := newEnv(t)
			p := v.v1Params(t, http.MethodPost, path, permKey, signer.HmacSHA256, 0, func(p map[string]string) {
				p["InstanceIds_2"] = "ins-aaaa0003"
			})
			other := path == PathAPI3 // sign by the other endpoint's rule
			sig, err := signer.SignV1(signer.V1Request{HTTPMethod: http.MethodPost, Host: v.host, Path: path, Params: without(p, "Signature"), Legacy: other}, signer.HmacSHA256, permKey.SecretKey)
			require.NoError(t, err)
			p["Signature"] = sig
			assertRefused(t, v, v.sendV1(t, http.MethodPost, path, p), CodeSignatureFailure)
		})
	}
}

func without(p map[string]string, name string) map[string]string {
	out := map[string]string{}
	for k, v := range p {
		if k != name {
			out[k] = v
		}
	}
	return out
}

// tc3AuthorizationOn signs m as a client would that puts date in its
// credential scope, whatever the date of its timestamp.
func tc3AuthorizationOn(date string, m *tc3Msg) string {
	sum := sha256.Sum256([]byte(signer.TC3Sign(m.sign, "", "").CanonicalRequest))
	sts := "TC3-HMAC-SHA256\n" + itoa(int(m.sign.Timestamp)) + "\n" + date + "/cvm/tc3_request\n" + hex.EncodeToString(sum[:])
	key := []byte("TC3" + m.key.SecretKey) // keyed by date, service, tc3_request, then signs sts
	for _, part := range []string{date, "cvm", "tc3_request", sts} {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(part))
		key = mac.Sum(nil)
	}
	return "TC3-HMAC-SHA256 Credential=" + m.key.SecretID + "/" + date + "/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + hex.EncodeToString(key)
}

func TestTC3AuthorizationOnHelper(t *testing.T) {
	m := &tc3Msg{sign: signer.TC3Request{HTTPMethod: "POST", Path: "/", Host: "h", ContentType: "application/json", Payload: []byte("{}"), Service: "cvm", Timestamp: testNow.Unix()}, key: permKey}
	assert.Equal(t, signer.TC3Sign(m.sign, permKey.SecretID, permKey.SecretKey).Authorization, tc3AuthorizationOn("2023-11-14", m))
}

func TestTC3AuthFailures(t *testing.T) {
	tests := []struct {
		name   string
		key    Key
		before func(*tc3Msg)
		after  func(*tc3Msg)
		want   string
		msg    string // a part of the message, when the code alone does not tell the cause
	}{
		{name: "no Authorization", key: permKey, after: func(m *tc3Msg) { m.header.Del("Authorization") }, want: CodeSignatureFailure},
		{name: "no Signature in Authorization", key: permKey, after: func(m *tc3Msg) {
			m.header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+permKey.SecretID+"/2023-11-14/cvm/tc3_request, SignedHeaders=content-type;host")
		}, want: CodeSignatureFailure},
		{name: "no SecretId in Credential", key: Key{SecretKey: permKey.SecretKey}, want: CodeSignatureFailure},
		{name: "no X-TC-Timestamp", key: permKey, after: func(m *tc3Msg) { m.header.Del("X-TC-Timestamp") }, want: CodeSignatureExpire},
		{name: "X-TC-Timestamp not an integer", key: permKey, after: func(m *tc3Msg) { m.header.Set("X-TC-Timestamp", "soon") }, want: CodeSignatureExpire},
		{name: "301 s early", key: permKey, before: func(m *tc3Msg) { m.sign.Timestamp -= 301 }, want: CodeSignatureExpire},
		{name: "301 s late", key: permKey, before: func(m *tc3Msg) { m.sign.Timestamp += 301 }, want: CodeSignatureExpire},
		{name: "unknown SecretId", key: unknownKey, want: CodeSecretIDNotFound},
		{name: "signed with another key", key: Key{SecretID: permKey.SecretID, SecretKey: "wrong-secret"}, want: CodeSignatureFailure},
		{name: "body changed after signing", key: permKey, before: func(m *tc3Msg) { m.sign.Payload = []byte(`{"InstanceIds":["ins-aaaa0001"],"ProjectId":1045}`) }, want: CodeSignatureFailure},
		{name: "another host signed", key: permKey, before: func(m *tc3Msg) { m.sign.Host = "cvm.tencentcloudapi.com" }, want: CodeSignatureFailure},
		{name: "another Content-Type signed", key: permKey, before: func(m *tc3Msg) { m.sign.ContentType = "application/json" }, want: CodeSignatureFailure},
		{name: "service not cvm", key: permKey, before: func(m *tc3Msg) { m.sign.Service = "clb" }, want: CodeSignatureFailure, msg: `"clb"`},
		{name: "scope date not the timestamp's UTC date", key: permKey, after: func(m *tc3Msg) {
			// As a client that takes its local date (UTC+8) would sign.
			m.header.Set("Authorization", tc3AuthorizationOn("2023-11-15", m))
		}, want: CodeSignatureFailure, msg: `"2023-11-15" is not "2023-11-14"`},
		{name: "malformed Credential", key: permKey, after: func(m *tc3Msg) {
			m.header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+permKey.SecretID+"/2023-11-14/cvm, SignedHeaders=content-type;host, Signature=00")
		}, want: CodeSignatureFailure, msg: "SecretId/date/service/tc3_request"},
		{name: "other SignedHeaders", key: permKey, after: func(m *tc3Msg) {
			m.header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+permKey.SecretID+"/2023-11-14/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=00")
		}, want: CodeSignatureFailure, msg: "SignedHeaders"},
		{name: "temporary key without X-TC-Token", key: tempKey, after: func(m *tc3Msg) { m.header.Del("X-TC-Token") }, want: CodeTokenFailure, msg: "missing `X-TC-Token`"},
		{name: "temporary key with a wrong X-TC-Token", key: tempKey, after: func(m *tc3Msg) { m.header.Set("X-TC-Token", "session-token-2") }, want: CodeTokenFailure},
		{name: "permanent key with X-TC-Token", key: permKey, after: func(m *tc3Msg) { m.header.Set("X-TC-Token", "session-token-1") }, want: CodeTokenFailure, msg: "permanent key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			a := v.postTC3(t, tt.key, defaultTC3Body, tt.before, tt.after)
			assertRefused(t, v, a, tt.want)
			assert.Contains(t, a.Message, tt.msg)
			assert.False(t, a.Old)
			assert.NotEmpty(t, a.RequestID)
		})
	}
}

// The legacy endpoint takes v1 signatures only.
func TestLegacyRefusesTC3(t *testing.T) {
	v := newEnv(t)
	a := v.postTC3(t, permKey, defaultTC3Body, nil, nil)
	require.Empty(t, a.Code, "precondition: the request is good on API 3.0")

	v = newEnv(t)
	req, err := http.NewRequest(http.MethodPost, v.base+PathLegacy, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+permKey.SecretID+"/2023-11-14/cvm/tc3_request, SignedHeaders=content-type;host, Signature=00")
	a = do(t, req)
	assertRefused(t, v, a, CodeSignatureFailure)
	assert.Contains(t, a.Message, "v1 signatures")
}
