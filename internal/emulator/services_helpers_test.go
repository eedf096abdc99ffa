package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

// callTC3 sends a TC3-signed JSON POST of action to path, its credential
// scope naming service; region "" sends no X-TC-Region.
func (v *env) callTC3(t *testing.T, k Key, path, service, action, version, region, body string) answer {
	t.Helper()
	sr := signer.TC3Request{
		HTTPMethod: http.MethodPost, Path: path, Host: v.host, ContentType: "application/json; charset=utf-8",
		Payload: []byte(body), Service: service, Timestamp: testNow.Unix(),
	}
	req, err := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", sr.ContentType)
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", version)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(sr.Timestamp, 10))
	if region != "" {
		req.Header.Set("X-TC-Region", region)
	}
	if k.Token != "" {
		req.Header.Set("X-TC-Token", k.Token)
	}
	req.Header.Set("Authorization", signer.TC3Sign(sr, k.SecretID, k.SecretKey).Authorization)
	return do(t, req)
}

// callV1 sends a v1-signed (HmacSHA256) form POST of action to path with
// params besides the common ones; region "" sends none.
func (v *env) callV1(t *testing.T, k Key, path, action, version, region string, params map[string]string) answer {
	t.Helper()
	p := map[string]string{
		"Action": action, "Version": version, "Timestamp": strconv.FormatInt(testNow.Unix(), 10),
		"Nonce": "11886", "SecretId": k.SecretID, "SignatureMethod": string(signer.HmacSHA256),
	}
	if region != "" {
		p["Region"] = region
	}
	for name, val := range params {
		p[name] = val
	}
	sig, err := signer.SignV1(signer.V1Request{HTTPMethod: http.MethodPost, Host: v.host, Path: path, Params: p}, signer.HmacSHA256, k.SecretKey)
	require.NoError(t, err)
	p["Signature"] = sig
	return v.sendV1(t, http.MethodPost, path, p)
}

// tag calls the Tag API action with a TC3 JSON body.
func (v *env) tag(t *testing.T, action, body string) answer {
	t.Helper()
	return v.callTC3(t, permKey, PathTag, TagService, action, TagVersion, "", body)
}

// invoke calls SCF's Invoke in ap-guangzhou with a TC3 JSON body.
func (v *env) invoke(t *testing.T, body string) answer {
	t.Helper()
	return v.callTC3(t, permKey, PathSCF, SCFService, ActionInvoke, SCFVersion, "ap-guangzhou", body)
}

// jsonBody marshals v, for request bodies.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// stateListing is a DescribeInstances answer with the fields of states.
type stateListing struct {
	InstanceSet []struct {
		InstanceId                                        string
		Placement                                         struct{ ProjectId int64 }
		InstanceState, RestrictState, IsolatedSource      string
		LatestOperation, LatestOperationState             *string
		LatestOperationRequestId, LatestOperationErrorMsg *string
	}
}

// describedState lists id by TC3 and returns its state fields ("" for
// absent); found is false when the listing leaves it out.
func (v *env) describedState(t *testing.T, id string) (found bool, state, restrict, source, op, opState, rid, errMsg string) {
	t.Helper()
	a := v.describeTC3(t, `{"InstanceIds":["`+id+`"]}`)
	require.Empty(t, a.Code, a.Message)
	var body struct{ Response stateListing }
	require.NoError(t, json.Unmarshal([]byte(a.Body), &body))
	if len(body.Response.InstanceSet) == 0 {
		return false, "", "", "", "", "", "", ""
	}
	in := body.Response.InstanceSet[0]
	d := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return true, in.InstanceState, in.RestrictState, in.IsolatedSource, d(in.LatestOperation), d(in.LatestOperationState), d(in.LatestOperationRequestId), d(in.LatestOperationErrorMsg)
}

// move moves ids to project by TC3 and returns the answer.
func (v *env) move(t *testing.T, project int64, ids ...string) answer {
	t.Helper()
	return v.postTC3(t, permKey, jsonBody(t, map[string]any{"InstanceIds": ids, "ProjectId": project}), nil, nil)
}
