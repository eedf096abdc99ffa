package emulator

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"scf-cvm-project/signer"
)

// Without Version the legacy endpoint answers in its old shape, with the
// numeric code of the error, and still moves on success.
func TestLegacyOldShapeWithoutVersion(t *testing.T) {
	early := itoa(int(testNow.Unix()) - 301)
	tests := []struct {
		name     string
		key      Key
		edit     func(map[string]string)
		wantCode int
		wantDesc string // "" is Success
		moved    bool
	}{
		{name: "success", key: permKey, moved: true},
		{name: "success with a temporary key", key: tempKey, moved: true},
		{name: "bad signature", key: Key{SecretID: permKey.SecretID, SecretKey: "wrong"}, wantCode: 4100, wantDesc: CodeSignatureFailure},
		{name: "expired", key: permKey, edit: set("Timestamp", early), wantCode: 4200, wantDesc: CodeSignatureExpire},
		{name: "unknown SecretId", key: unknownKey, wantCode: 4100, wantDesc: CodeSecretIDNotFound},
		{name: "token missing", key: Key{SecretID: tempKey.SecretID, SecretKey: tempKey.SecretKey}, wantCode: 4100, wantDesc: CodeTokenFailure},
		{name: "other action", key: permKey, edit: set("Action", "StopInstances"), wantCode: 4000, wantDesc: CodeInvalidAction},
		{name: "DescribeInstances needs a Version", key: permKey, edit: set("Action", ActionDescribe), wantCode: 4000, wantDesc: CodeMissingParameter},
		{name: "no IDs", key: permKey, edit: setIDs(), wantCode: 4000, wantDesc: CodeMissingParameter},
		{name: "malformed", key: permKey, edit: setIDs("ins-1"), wantCode: 4000, wantDesc: CodeMalformed},
		{name: "not found", key: permKey, edit: setIDs("ins-zzzz0001"), wantCode: 5000, wantDesc: CodeNotFound},
		{name: "load balanced", key: permKey, edit: setIDs("ins-lb000001"), wantCode: 4000, wantDesc: CodeNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			a := v.sendV1(t, http.MethodPost, PathLegacy, v.v1Params(t, http.MethodPost, PathLegacy, tt.key, signer.HmacSHA1, 1, func(p map[string]string) {
				delete(p, "Version")
				if tt.edit != nil {
					tt.edit(p)
				}
			}))
			assert.Equal(t, http.StatusOK, a.Status)
			assert.Equal(t, "application/json", a.ContentType)
			assert.True(t, a.Old, "old shape: %s", a.Body)
			assert.Equal(t, tt.wantCode, a.LegacyCode)
			assert.Equal(t, tt.wantDesc, a.Code, a.Message)
			if tt.moved {
				assert.JSONEq(t, `{"code":0,"message":"","codeDesc":"Success"}`, a.Body)
				assert.Equal(t, int64(1045), projects(v.e)["ins-aaaa0001"])
			} else {
				assert.NotEmpty(t, a.Message)
				assert.Equal(t, projects(newEmulatorWith(testTable())), projects(v.e))
			}
			calls := v.e.Calls()
			if assert.Len(t, calls, 1) {
				assert.Equal(t, EndpointLegacy, calls[0].Endpoint)
				assert.Empty(t, calls[0].Version)
				assert.Equal(t, tt.wantDesc, calls[0].Code)
				assert.NotEmpty(t, calls[0].RequestID, "recorded though the old shape does not carry it")
			}
		})
	}
}

// A request that cannot be read is refused in the shape of its endpoint.
func TestUnreadableFormPerShape(t *testing.T) {
	tests := []struct {
		name, path, body string
		wantOld          bool
		want             string
	}{
		{"legacy bad escape", PathLegacy, "Action=ModifyInstancesProject&Signature=%zz", true, CodeInvalidParameter},
		{"legacy bad escape with Version", PathLegacy, "Version=2017-03-12&Signature=%zz", false, CodeInvalidParameter},
		{"legacy parameter twice", PathLegacy, "Nonce=1&Nonce=2", true, CodeInvalidParameter},
		{"legacy parameter twice with Version", PathLegacy, "Version=2017-03-12&Nonce=1&Nonce=2", false, CodeInvalidParameter},
		{"api3 parameter twice", PathAPI3, "InstanceIds.0=ins-aaaa0001&InstanceIds.0=ins-aaaa0002", false, CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			req, err := http.NewRequest(http.MethodPost, v.base+tt.path, strings.NewReader(tt.body))
			assert.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			a := do(t, req)
			assert.Equal(t, tt.wantOld, a.Old)
			assertRefused(t, v, a, tt.want)
		})
	}
}

func TestLegacyCode(t *testing.T) {
	tests := map[string]int{
		"":                        0,
		CodeSignatureFailure:      4100,
		CodeSecretIDNotFound:      4100,
		CodeTokenFailure:          4100,
		CodeSignatureExpire:       4200,
		CodeInvalidAction:         4000,
		CodeMissingParameter:      4000,
		CodeInvalidParameterValue: 4000,
		CodeLimitExceeded:         4000,
		CodeMalformed:             4000,
		CodeNotSupported:          4000,
		CodeNotFound:              5000,
	}
	for code, want := range tests {
		assert.Equal(t, want, LegacyCode(code), code)
	}
}
