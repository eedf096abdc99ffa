package trigger

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler/answer"
)

// httpEvent is a function URL event with body, or with query when body is "".
func httpEvent(t *testing.T, contentType, body string, query map[string]any, base64Body bool) []byte {
	t.Helper()
	if base64Body {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	ev := map[string]any{"httpMethod": "POST", "path": "/", "headers": map[string]string{"content-type": contentType},
		"body": body, "isBase64Encoded": base64Body, "queryString": query}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

func timerEvent(t *testing.T, message string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{"Type": "Timer", "TriggerName": "t", "Time": "2024-05-20T02:00:00Z", "Message": message})
	require.NoError(t, err)
	return b
}

// A key the function does not know is refused wherever the request is
// read from, naming the key and the nearest known one.
func TestUnknownKeysAreRefused(t *testing.T) {
	const json1 = `{"InstanceIds":["ins-00000005"],"ProjectId":1045,"dry_run":true}`
	const json2 = `{"InstanceIds":["ins-00000005"],"ProjectId":1045,"DryRunn":true}`
	tests := []struct {
		name          string
		payload       []byte
		key, nearest  string
		wantKind      Kind
		wantNoRequest bool
	}{
		{"direct, dry_run", []byte(json1), "dry_run", "DryRun", KindDirect, false},
		{"direct, DryRunn", []byte(json2), "DryRunn", "DryRun", KindDirect, false},
		{"direct, an event's key", []byte(`{"InstanceIds":["ins-00000005"],"ProjectId":1045,"headers":{}}`), "headers", "", KindDirect, false},
		{"direct, an escaped key", []byte(`{"InstanceIds":["ins-00000005"],"Project\u0049d":1045,"Regin":"x"}`), "Regin", "Region", KindDirect, false},
		{"a JSON body", httpEvent(t, "application/json", json1, nil, false), "dry_run", "DryRun", KindFunctionURL, false},
		{"a base64 JSON body", httpEvent(t, "application/json", json2, nil, true), "DryRunn", "DryRun", KindFunctionURL, false},
		{"a form", httpEvent(t, "application/x-www-form-urlencoded", "InstanceIds=ins-00000005&ProjectId=1045&projectid_=1", nil, false), "projectid_", "ProjectId", KindFunctionURL, false},
		{"a form's bad index", httpEvent(t, "application/x-www-form-urlencoded", "InstanceIds.x=ins-00000005&ProjectId=1045", nil, false), "InstanceIds.x", "InstanceIds", KindFunctionURL, false},
		{"a query", httpEvent(t, "", "", map[string]any{"InstanceIds": "ins-00000005", "ProjectId": "1045", "skipinvalids": true}, false), "skipinvalids", "SkipInvalid", KindFunctionURL, false},
		{"a timer's JSON Message", timerEvent(t, json1), "dry_run", "DryRun", KindTimer, false},
		{"a timer's query Message", timerEvent(t, "InstanceIds=ins-00000005&ProjectId=1045&Regio=ap-guangzhou"), "Regio", "Region", KindTimer, false},
		{"a timer's default Message", timerEvent(t, "user define msg body"), "user define msg body", "", KindTimer, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode(tt.payload)
			require.Nil(t, err)
			require.Equal(t, tt.wantKind, ev.Kind)
			_, rerr := ev.Request()
			require.NotNil(t, rerr)
			assert.Equal(t, answer.CodeUnknownParameter, rerr.Code)
			assert.Equal(t, 400, answer.HTTPStatus(rerr.Code))
			assert.Contains(t, rerr.Message, answer.Quote(tt.key))
			if tt.nearest != "" {
				assert.Contains(t, rerr.Message, "did you mean "+answer.Quote(tt.nearest))
			}
		})
	}
}

// Every known key, in any case, and Async (read by another change) pass.
func TestKnownKeysPass(t *testing.T) {
	for _, p := range []string{
		`{"instanceids":["ins-00000005"],"PROJECTID":1045,"region":"ap-guangzhou","dryRun":true,"skipinvalid":false,"Async":false}`,
		`{"Rules":[{"Tag":{"Key":"env"},"ProjectId":1}],"Reconcile":true}`,
	} {
		ev, err := Decode([]byte(p))
		require.Nil(t, err)
		_, rerr := ev.Request()
		assert.Nil(t, rerr, p)
	}
}

// A UTF-8 byte-order mark at the start of a payload, a body (plain or
// base64), a form, a query or a timer's Message is ignored.
func TestByteOrderMarkIsIgnored(t *testing.T) {
	const bom = "\ufeff"
	const req = `{"InstanceIds":["ins-00000001"],"ProjectId":1045,"DryRun":true}`
	const form = "InstanceIds=ins-00000001&ProjectId=1045&DryRun=true"
	tests := []struct {
		name    string
		payload []byte
	}{
		{"a direct payload", []byte(bom + req)},
		{"a JSON body", httpEvent(t, "application/json", bom+req, nil, false)},
		{"a base64 JSON body", httpEvent(t, "application/json", bom+req, nil, true)},
		{"a form body", httpEvent(t, "application/x-www-form-urlencoded", bom+form, nil, false)},
		{"a query", httpEvent(t, "", "", map[string]any{bom + "InstanceIds": "ins-00000001", "ProjectId": "1045", "DryRun": "true"}, false)},
		{"a timer's JSON Message", timerEvent(t, bom+req)},
		{"a timer's query Message", timerEvent(t, bom+form)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode(tt.payload)
			require.Nil(t, err)
			raw, rerr := ev.Request()
			require.Nil(t, rerr)
			assert.Equal(t, []string{"ins-00000001"}, raw.InstanceIDs)
			require.NotNil(t, raw.ProjectID)
			assert.EqualValues(t, 1045, *raw.ProjectID)
			require.NotNil(t, raw.DryRun)
			assert.True(t, *raw.DryRun)
		})
	}
}
