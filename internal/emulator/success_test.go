package emulator

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

// A correctly signed request moves the instances on every endpoint, HTTP
// method and signature method, and is recorded as sent.
func TestModifySucceedsOnEveryEndpointAndMethod(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		httpMethod string
		method     signer.Method // "" sends no SignatureMethod
		first      int           // index of the first InstanceIds.N
		key        Key
		wantMethod string
	}{
		{"legacy POST HmacSHA1", PathLegacy, http.MethodPost, signer.HmacSHA1, 1, permKey, "HmacSHA1"},
		{"legacy POST HmacSHA256", PathLegacy, http.MethodPost, signer.HmacSHA256, 1, permKey, "HmacSHA256"},
		{"legacy GET HmacSHA256", PathLegacy, http.MethodGet, signer.HmacSHA256, 1, permKey, "HmacSHA256"},
		{"legacy POST no SignatureMethod is HmacSHA1", PathLegacy, http.MethodPost, "", 1, permKey, "HmacSHA1"},
		{"legacy POST temporary key", PathLegacy, http.MethodPost, signer.HmacSHA256, 0, tempKey, "HmacSHA256"},
		{"api3 POST HmacSHA1", PathAPI3, http.MethodPost, signer.HmacSHA1, 0, permKey, "HmacSHA1"},
		{"api3 POST HmacSHA256", PathAPI3, http.MethodPost, signer.HmacSHA256, 0, permKey, "HmacSHA256"},
		{"api3 GET HmacSHA1", PathAPI3, http.MethodGet, signer.HmacSHA1, 0, permKey, "HmacSHA1"},
		{"api3 POST temporary key", PathAPI3, http.MethodPost, signer.HmacSHA256, 1, tempKey, "HmacSHA256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			a := v.sendV1(t, tt.httpMethod, tt.path, v.v1Params(t, tt.httpMethod, tt.path, tt.key, tt.method, tt.first, nil))

			assert.Equal(t, http.StatusOK, a.Status)
			assert.Equal(t, "application/json", a.ContentType)
			assert.Empty(t, a.Code, a.Message)
			assert.False(t, a.Old, "Version=2017-03-12 answers in the API 3.0 shape")
			assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a.RequestID)
			assert.Equal(t, map[string]int64{"ins-aaaa0001": 1045, "ins-aaaa0002": 1045, "ins-aaaa0003": 7, "ins-lb000001": 0}, projects(v.e))

			calls := v.e.Calls()
			require.Len(t, calls, 1)
			wantEndpoint := EndpointAPI3
			if tt.path == PathLegacy {
				wantEndpoint = EndpointLegacy
			}
			assert.Equal(t, Call{
				Endpoint: wantEndpoint, SignatureMethod: tt.wantMethod,
				Action: Action, Region: "ap-guangzhou", Version: Version, SecretID: tt.key.SecretID, Nonce: "11886",
				HasToken: tt.key.Token != "", InstanceIDs: []string{"ins-aaaa0001", "ins-aaaa0002"}, ProjectID: "1045",
				RequestID: a.RequestID,
			}, calls[0])
		})
	}
}

func TestModifySucceedsWithTC3(t *testing.T) {
	tests := []struct {
		name string
		key  Key
		body string
		want map[string]int64
	}{
		{"permanent key", permKey, defaultTC3Body,
			map[string]int64{"ins-aaaa0001": 1045, "ins-aaaa0002": 1045, "ins-aaaa0003": 7, "ins-lb000001": 0}},
		{"temporary key", tempKey, defaultTC3Body,
			map[string]int64{"ins-aaaa0001": 1045, "ins-aaaa0002": 1045, "ins-aaaa0003": 7, "ins-lb000001": 0}},
		{"back to project 0", permKey, `{"ProjectId":0,"InstanceIds":["ins-aaaa0003"]}`,
			map[string]int64{"ins-aaaa0001": 0, "ins-aaaa0002": 0, "ins-aaaa0003": 0, "ins-lb000001": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			a := v.postTC3(t, tt.key, tt.body, nil, nil)

			assert.Equal(t, http.StatusOK, a.Status)
			assert.Equal(t, "application/json", a.ContentType)
			assert.Empty(t, a.Code, a.Message)
			assert.NotEmpty(t, a.RequestID)
			assert.Equal(t, tt.want, projects(v.e))

			calls := v.e.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, EndpointAPI3, calls[0].Endpoint)
			assert.Equal(t, "TC3-HMAC-SHA256", calls[0].SignatureMethod)
			assert.Equal(t, tt.key.Token != "", calls[0].HasToken)
			assert.Equal(t, tt.key.SecretID, calls[0].SecretID)
			assert.Equal(t, "ap-guangzhou", calls[0].Region)
			assert.Empty(t, calls[0].Nonce)
			assert.Equal(t, a.RequestID, calls[0].RequestID)
		})
	}
}

// The IDs of a v1 request follow N numerically, whatever the spelling.
func TestV1InstanceIDsInOrderOfN(t *testing.T) {
	for _, path := range []string{PathLegacy, PathAPI3} {
		t.Run(path, func(t *testing.T) {
			v := newEnv(t)
			a := v.postV1(t, path, permKey, func(p map[string]string) {
				delete(p, "InstanceIds.0")
				delete(p, "InstanceIds.1")
				p["InstanceIds.10"] = "ins-aaaa0003"
				p["InstanceIds_2"] = "ins-aaaa0002"
				p["InstanceIds.9"] = "ins-aaaa0001"
				p["InstanceIds.11"] = "ins-aaaa0001" // a duplicate is fine
			})
			require.Empty(t, a.Code, a.Message)
			assert.Equal(t, []string{"ins-aaaa0002", "ins-aaaa0001", "ins-aaaa0003", "ins-aaaa0001"}, v.e.Calls()[0].InstanceIDs)
			assert.Equal(t, map[string]int64{"ins-aaaa0001": 1045, "ins-aaaa0002": 1045, "ins-aaaa0003": 1045, "ins-lb000001": 0}, projects(v.e))
		})
	}
}

// A request exactly MaxClockSkew off the clock is still on time; a
// hundred IDs are allowed.
func TestModifyAtTheLimits(t *testing.T) {
	hundred := func(p map[string]string) {
		for i := range MaxInstanceIDs {
			p["InstanceIds."+itoa(i)] = "ins-aaaa0001"
		}
	}
	tests := []struct {
		name string
		edit func(map[string]string)
	}{
		{"300 s early", func(p map[string]string) { p["Timestamp"] = itoa(int(testNow.Unix()) - 300) }},
		{"300 s late", func(p map[string]string) { p["Timestamp"] = itoa(int(testNow.Unix()) + 300) }},
		{"100 IDs", hundred},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			a := v.postV1(t, PathAPI3, permKey, tt.edit)
			assert.Empty(t, a.Code, a.Message)
			assert.Equal(t, int64(1045), projects(v.e)["ins-aaaa0001"])
		})
	}
}
