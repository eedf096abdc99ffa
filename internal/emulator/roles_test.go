package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

const testRoleARN = "qcs::cam::uin/100000000001:roleName/cvm-project-mover"

// stsEnv is an emulator with an STS and a metadata service, each on its
// own loopback listener, sharing the emulator's keys and fixed clock.
type stsEnv struct {
	*env
	sts      *STS
	stsBase  string
	meta     *Metadata
	metaBase string
}

func newSTSEnv(t *testing.T) *stsEnv {
	t.Helper()
	v := &stsEnv{env: newEnv(t)}
	v.sts = NewSTS(v.e)
	v.sts.AddRole(testRoleARN, "")
	base, stop, err := v.sts.Start()
	require.NoError(t, err)
	t.Cleanup(stop)
	v.stsBase = base
	v.meta = NewMetadata(v.e)
	base, stop, err = v.meta.Start()
	require.NoError(t, err)
	t.Cleanup(stop)
	v.metaBase = base
	return v
}

// assumeBody is an AssumeRole body for testRoleARN.
const assumeBody = `{"RoleArn":"` + testRoleARN + `","RoleSessionName":"cvm-project-test","DurationSeconds":900}`

// stsAnswer is a decoded AssumeRole answer.
type stsResult struct {
	answer
	Key         Key
	ExpiredTime int64
	Expiration  string
}

// assumeRole signs body with k for the service "sts" (edit changes the
// message before it is signed) and sends it to the STS.
func (v *stsEnv) assumeRole(t *testing.T, k Key, body string, edit func(*tc3Msg)) stsResult {
	t.Helper()
	u, err := url.Parse(v.stsBase + "/")
	require.NoError(t, err)
	m := tc3Msg{
		sign: signer.TC3Request{
			HTTPMethod: http.MethodPost, Path: "/", Host: u.Host, ContentType: "application/json; charset=utf-8",
			Payload: []byte(body), Service: "sts", Timestamp: testNow.Unix(),
		},
		key: k,
	}
	call := signer.TC3Call{Action: STSAction, Version: STSVersion, Region: "ap-guangzhou"}
	if edit != nil {
		m.header = http.Header{}
		edit(&m)
		if a := m.header.Get("X-TC-Action"); a != "" {
			call.Action = a
		}
	}
	call.Service = m.sign.Service
	req, err := signer.NewTC3Request(context.Background(), u, call, m.sign.Payload, m.sign.Timestamp, m.key.SecretID, m.key.SecretKey, m.key.Token)
	require.NoError(t, err)
	r := stsResult{answer: do(t, req)}
	var shape struct {
		Response struct {
			Credentials *struct{ Token, TmpSecretId, TmpSecretKey string }
			ExpiredTime int64
			Expiration  string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &shape))
	if c := shape.Response.Credentials; c != nil {
		r.Key = Key{SecretID: c.TmpSecretId, SecretKey: c.TmpSecretKey, Token: c.Token}
	}
	r.ExpiredTime, r.Expiration = shape.Response.ExpiredTime, shape.Response.Expiration
	return r
}

func TestSTSIssuesKeysTheCVMEndpointAccepts(t *testing.T) {
	for _, base := range []Key{permKey, tempKey} {
		t.Run("signed with "+base.SecretID, func(t *testing.T) {
			v := newSTSEnv(t)
			r := v.assumeRole(t, base, assumeBody, nil)
			require.Empty(t, r.Code, r.Message)
			assert.NotEmpty(t, r.RequestID)
			require.NotEmpty(t, r.Key.SecretID)
			require.NotEmpty(t, r.Key.Token)
			assert.Equal(t, testNow.Add(900*time.Second).Unix(), r.ExpiredTime, "DurationSeconds")
			assert.Equal(t, testNow.Add(900*time.Second).UTC().Format(time.RFC3339), r.Expiration)

			calls := v.sts.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, STSCall{SecretID: base.SecretID, HasToken: base.Token != "", Region: "ap-guangzhou", RoleArn: testRoleARN,
				RoleSessionName: "cvm-project-test", DurationSeconds: 900, IssuedSecretID: r.Key.SecretID, RequestID: r.RequestID}, calls[0])
			assert.Equal(t, []string{r.Key.SecretID}, secretIDs(v.sts.Issued()))

			a := v.postTC3(t, r.Key, defaultTC3Body, nil, nil)
			assert.Empty(t, a.Code, "the issued key moves instances: %s", a.Message)
			a = v.postV1(t, PathLegacy, r.Key, nil)
			assert.Empty(t, a.Code, "with v1 too: %s", a.Message)
			a = v.postTC3(t, Key{SecretID: r.Key.SecretID, SecretKey: r.Key.SecretKey}, defaultTC3Body, nil, nil)
			assert.Equal(t, CodeTokenFailure, a.Code, "never without its token")
		})
	}
}

func TestSTSRefusals(t *testing.T) {
	tests := []struct {
		name  string
		key   Key
		body  string
		setup func(*stsEnv)
		edit  func(*tc3Msg)
		want  string
	}{
		{"an unknown key", unknownKey, assumeBody, nil, nil, CodeSecretIDNotFound},
		{"a wrong secret key", Key{SecretID: permKey.SecretID, SecretKey: "wrong"}, assumeBody, nil, nil, CodeSignatureFailure},
		{"signed for cvm", permKey, assumeBody, nil, func(m *tc3Msg) { m.sign.Service = "cvm" }, CodeSignatureFailure},
		{"a stale timestamp", permKey, assumeBody, nil, func(m *tc3Msg) { m.sign.Timestamp -= 301 }, CodeSignatureExpire},
		{"another action", permKey, assumeBody, nil, func(m *tc3Msg) { m.header.Set("X-TC-Action", "GetFederationToken") }, CodeInvalidAction},
		{"an unknown role", permKey, `{"RoleArn":"qcs::cam::uin/1:roleName/nope","RoleSessionName":"s1"}`, nil, nil, CodeRoleNotFound},
		{"no session name", permKey, `{"RoleArn":"` + testRoleARN + `"}`, nil, nil, CodeMissingParameter},
		{"a bad session name", permKey, `{"RoleArn":"` + testRoleARN + `","RoleSessionName":"a b"}`, nil, nil, CodeParamError},
		{"too long a duration", permKey, `{"RoleArn":"` + testRoleARN + `","RoleSessionName":"s1","DurationSeconds":43201}`, nil, nil, CodeOverTimeError},
		{"a missing external id", permKey, assumeBody, func(v *stsEnv) { v.sts.AddRole(testRoleARN, "ext-1") }, nil, CodeUnauthorizedOperation},
		{"the refusal switch", permKey, assumeBody, func(v *stsEnv) { v.sts.Refuse(CodeUnauthorizedOperation, "not allowed to assume the role") }, nil, CodeUnauthorizedOperation},
		{"not JSON", permKey, `{"RoleArn":`, nil, nil, CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newSTSEnv(t)
			if tt.setup != nil {
				tt.setup(v)
			}
			r := v.assumeRole(t, tt.key, tt.body, tt.edit)
			assert.Equal(t, http.StatusOK, r.Status)
			assert.Equal(t, tt.want, r.Code, r.Message)
			assert.NotEmpty(t, r.RequestID)
			assert.Empty(t, r.Key.SecretID, "no keys issued")
			assert.Empty(t, v.sts.Issued())
			calls := v.sts.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, tt.want, calls[0].Code)
			assertNoSecret(t, r.Body, permKey.SecretKey, tempKey.SecretKey, tempKey.Token, unknownKey.SecretKey)
		})
	}
}

func TestSTSAcceptsTheExternalIDItRequires(t *testing.T) {
	v := newSTSEnv(t)
	v.sts.AddRole(testRoleARN, "ext-1")
	r := v.assumeRole(t, permKey, `{"RoleArn":"`+testRoleARN+`","RoleSessionName":"s1","ExternalId":"ext-1"}`, nil)
	assert.Empty(t, r.Code, r.Message)
	assert.Equal(t, testNow.Add(DefaultRoleDuration).Unix(), r.ExpiredTime, "STS's default duration")
}

func TestTemporaryKeysAreRefusedOnceExpired(t *testing.T) {
	v := newSTSEnv(t)
	v.sts.SetLifetime(3 * time.Second)
	r := v.assumeRole(t, permKey, assumeBody, nil)
	require.Empty(t, r.Code, r.Message)
	assert.Equal(t, testNow.Add(3*time.Second).Unix(), r.ExpiredTime, "the lifetime the test set")

	v.e.SetClock(func() time.Time { return testNow.Add(2999 * time.Millisecond) })
	a := v.postTC3(t, r.Key, defaultTC3Body, nil, nil)
	assert.Empty(t, a.Code, "valid until the last moment: %s", a.Message)

	v.e.SetClock(func() time.Time { return testNow.Add(3 * time.Second) })
	a = v.postTC3(t, r.Key, defaultTC3Body, nil, nil)
	assert.Equal(t, CodeTokenFailure, a.Code)
	assert.Contains(t, a.Message, "expired")
	assertNoSecret(t, a.Body, r.Key.SecretKey, r.Key.Token)
	a = v.postV1(t, PathLegacy, r.Key, nil)
	assert.Equal(t, CodeTokenFailure, a.Code, "v1 too")

	r2 := v.assumeRole(t, r.Key, assumeBody, nil)
	assert.Equal(t, CodeTokenFailure, r2.Code, "nor can an expired key assume a role")
}

func TestMetadata(t *testing.T) {
	get := func(t *testing.T, v *stsEnv, path string) (int, string) {
		t.Helper()
		resp, err := http.Get(v.metaBase + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	t.Run("no role", func(t *testing.T) {
		v := newSTSEnv(t)
		status, _ := get(t, v, MetadataCredentialsPath)
		assert.Equal(t, http.StatusNotFound, status)
	})
	t.Run("a role and its keys, accepted until they expire", func(t *testing.T) {
		v := newSTSEnv(t)
		v.meta.SetRole("cvm-project-mover", time.Hour)
		status, body := get(t, v, MetadataCredentialsPath)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "cvm-project-mover", body)

		status, body = get(t, v, MetadataCredentialsPath+"cvm-project-mover")
		require.Equal(t, http.StatusOK, status)
		var c struct {
			TmpSecretId, TmpSecretKey, Token, Expiration, Code string
			ExpiredTime                                        int64
		}
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		assert.Equal(t, "Success", c.Code)
		assert.Equal(t, testNow.Add(time.Hour).Unix(), c.ExpiredTime)
		assert.Equal(t, testNow.Add(time.Hour).UTC().Format(time.RFC3339), c.Expiration)
		key := Key{SecretID: c.TmpSecretId, SecretKey: c.TmpSecretKey, Token: c.Token}
		assert.Equal(t, []string{key.SecretID}, secretIDs(v.meta.Issued()))

		a := v.postV1(t, PathLegacy, key, nil)
		assert.Empty(t, a.Code, a.Message)
		v.e.SetClock(func() time.Time { return testNow.Add(time.Hour) })
		a = v.postTC3(t, key, defaultTC3Body, func(m *tc3Msg) { m.sign.Timestamp = testNow.Add(time.Hour).Unix() }, nil)
		assert.Equal(t, CodeTokenFailure, a.Code)

		status, _ = get(t, v, MetadataCredentialsPath+"another-role")
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, []MetadataCall{
			{Path: MetadataCredentialsPath, Status: 200},
			{Path: MetadataCredentialsPath + "cvm-project-mover", Status: 200, IssuedSecretID: key.SecretID},
			{Path: MetadataCredentialsPath + "another-role", Status: 404},
		}, v.meta.Calls())
	})
	t.Run("faults", func(t *testing.T) {
		tests := []struct {
			fault              MetadataFault
			wantRole, wantKeys int
		}{
			{MetadataUp, 200, 200},
			{MetadataDown, 503, 503},
			{MetadataCredentialsDown, 200, 500},
		}
		for _, tt := range tests {
			v := newSTSEnv(t)
			v.meta.SetRole("r1", 0)
			v.meta.SetFault(tt.fault)
			status, _ := get(t, v, MetadataCredentialsPath)
			assert.Equal(t, tt.wantRole, status, "fault %d", tt.fault)
			status, _ = get(t, v, MetadataCredentialsPath+"r1")
			assert.Equal(t, tt.wantKeys, status, "fault %d", tt.fault)
		}
	})
}

func secretIDs(keys []Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.SecretID
	}
	return out
}
