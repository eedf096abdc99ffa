package trigger

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLowerKeys(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{"nil", nil, map[string]string{}},
		{"already lower", map[string]string{"content-type": "a"}, map[string]string{"content-type": "a"}},
		{"mixed case", map[string]string{"Content-Type": "a", "X-Api-RequestId": "b"}, map[string]string{"content-type": "a", "x-api-requestid": "b"}},
		{"the lower-case twin wins", map[string]string{"Content-Type": "upper", "content-type": "lower"}, map[string]string{"content-type": "lower"}},
		{"else the first in sorted order", map[string]string{"Content-Type": "first", "CONTENT-TYPE": "second"}, map[string]string{"content-type": "second"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Map order varies between runs; the answer must not.
			for range 20 {
				assert.Equal(t, tt.want, lowerKeys(tt.in))
			}
		})
	}
}

// queryString as API Gateway sends it: a string, an array for a repeated
// key, true for a bare key.
func TestDecodeQueryString(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want url.Values
	}{
		{"absent", ``, url.Values{}},
		{"null", `null`, url.Values{}},
		{"empty", `{}`, url.Values{}},
		{"strings", `{"ProjectId":"1045","Region":"ap-guangzhou"}`, url.Values{"ProjectId": {"1045"}, "Region": {"ap-guangzhou"}}},
		{"repeated key", `{"InstanceIds":["ins-00000001","ins-00000002"]}`, url.Values{"InstanceIds": {"ins-00000001", "ins-00000002"}}},
		{"bare key", `{"verbose":true}`, url.Values{"verbose": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeQueryString("the event", json.RawMessage(tt.raw))
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeBody(t *testing.T) {
	form := "InstanceIds=ins-00000001&ProjectId=1045"
	tests := []struct {
		name   string
		raw    string
		base64 bool
		want   string
		code   string // when refused
	}{
		{"absent", ``, false, "", ""},
		{"null", `null`, false, "", ""},
		{"empty string", `""`, false, "", ""},
		{"plain", `"{\"ProjectId\":1045}"`, false, `{"ProjectId":1045}`, ""},
		{"plain is not decoded even if it looks like base64", `"e30="`, false, "e30=", ""},
		{"base64", `"` + base64.StdEncoding.EncodeToString([]byte(form)) + `"`, true, form, ""},
		{"base64 without padding", `"` + base64.RawStdEncoding.EncodeToString([]byte(form+"x")) + `"`, true, form + "x", ""},
		{"base64 with line breaks", `"` + "SW5zdGFuY2VJZHM9\\r\\naW5zLTAwMDAwMDAx" + `"`, true, "InstanceIds=ins-00000001", ""},
		{"base64, empty", `""`, true, "", ""},
		{"bad base64", `"%%%"`, true, "", answer.CodeInvalidParameter},
		{"base64 of the wrong alphabet", `"` + base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff}) + `"`, true, "", answer.CodeInvalidParameter},
		{"a JSON object, as hand-written test events have", `{"ProjectId": 1045}`, false, `{"ProjectId": 1045}`, ""},
		{"a number", `12`, false, "", answer.CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeBody("the event", json.RawMessage(tt.raw), tt.base64)
			if tt.code != "" {
				require.NotNil(t, err)
				assert.Equal(t, tt.code, err.Code)
				assert.Contains(t, err.Message, "body")
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

// The body's own limit: base64 shrinks a body, so only a direct call can
// reach it, but a caller building an event by hand might.
func TestDecodeBodyTooLarge(t *testing.T) {
	raw, err := json.Marshal(strings.Repeat("a", request.MaxRequestBytes+1))
	require.NoError(t, err)
	_, e := decodeBody("the event", raw, false)
	require.NotNil(t, e)
	assert.Equal(t, answer.CodeRequestTooLarge, e.Code)
	assert.Contains(t, e.Message, "body")

	raw, err = json.Marshal(strings.Repeat("a", request.MaxRequestBytes))
	require.NoError(t, err)
	_, e = decodeBody("the event", raw, false)
	assert.Nil(t, e, "exactly request.MaxRequestBytes is accepted")
}

// A body is a form by its media type, parameters (charset) and case aside;
// any other is JSON.
func TestRequestFromHTTPReadsAFormByItsMediaType(t *testing.T) {
	tests := []struct {
		contentType string
		form        bool
	}{
		{"application/x-www-form-urlencoded", true},
		{"application/x-www-form-urlencoded; charset=UTF-8", true},
		{" Application/X-WWW-Form-Urlencoded ;charset=utf-8", true},
		{"application/json", false},
		{"multipart/form-data; boundary=x", false},
		{"", false},
	}
	for _, tt := range tests {
		h := &HTTPRequest{Headers: map[string]string{"content-type": tt.contentType}, Body: []byte("InstanceIds=ins-00000001")}
		got, err := Event{Kind: KindAPIGateway, HTTP: h}.Request()
		if tt.form {
			assert.Nil(t, err, tt.contentType)
			assert.Equal(t, []string{"ins-00000001"}, got.InstanceIDs, tt.contentType)
		} else {
			assert.NotNil(t, err, "%s: read as JSON", tt.contentType)
		}
	}
}

// Where an HTTP request carries the request: the body (JSON or form), else
// the query.
func TestRequestFromHTTP(t *testing.T) {
	const formType = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		contentType string
		body        string
		query       url.Values
		want        request.Raw
	}{
		{
			name:        "JSON body",
			contentType: "application/json",
			body:        `{"InstanceIds":["ins-00000001"],"ProjectId":1045,"Region":"ap-guangzhou"}`,
			want:        request.Raw{InstanceIDs: []string{"ins-00000001"}, ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name: "JSON body without a Content-Type",
			body: `{"InstanceIds":"ins-00000001","ProjectId":"7"}`,
			want: request.Raw{InstanceIDs: []string{"ins-00000001"}, ProjectID: ptr(7), HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:        "the body wins over the query",
			contentType: "application/json",
			body:        `{"InstanceIds":["ins-00000001"],"ProjectId":1}`,
			query:       url.Values{"InstanceIds": {"ins-00000002"}, "ProjectId": {"2"}},
			want:        request.Raw{InstanceIDs: []string{"ins-00000001"}, ProjectID: ptr(1), HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:        "form body",
			contentType: formType + "; charset=utf-8",
			body:        "InstanceIds=ins-00000001%2Cins-00000002&ProjectId=1045&Region=ap-guangzhou",
			want:        request.Raw{InstanceIDs: []string{"ins-00000001", "ins-00000002"}, ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:        "JSON sent as a form, as curl -d does",
			contentType: formType,
			body:        ` {"InstanceIds":["ins-00000001"],"ProjectId":1045}`,
			want:        request.Raw{InstanceIDs: []string{"ins-00000001"}, ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:  "blank body: the query",
			body:  " \r\n",
			query: url.Values{"InstanceIds": {"ins-00000001"}, "ProjectId": {"1045"}},
			want:  request.Raw{InstanceIDs: []string{"ins-00000001"}, ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:  "no body, no query",
			query: url.Values{},
			want:  request.Raw{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &HTTPRequest{Headers: map[string]string{}, Query: tt.query, Body: []byte(tt.body)}
			if tt.contentType != "" {
				h.Headers["content-type"] = tt.contentType
			}
			got, err := Event{Kind: KindFunctionURL, HTTP: h}.Request()
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRequestFromHTTPRejects(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		code        string
		message     []string
	}{
		{"body not JSON", "application/json", "InstanceIds=ins-00000001", answer.CodeInvalidParameter, []string{"the body is not valid JSON"}},
		{"body a JSON array", "application/json", `["ins-00000001"]`, answer.CodeInvalidParameter, []string{"the body must be a JSON object", "got an array"}},
		{"body a JSON string", "", `"ins-00000001"`, answer.CodeInvalidParameter, []string{"the body", "got a string"}},
		{"body null", "", `null`, answer.CodeInvalidParameter, []string{"the body", "got null"}},
		{"form with a bad escape", "application/x-www-form-urlencoded", "InstanceIds=ins-%zz", answer.CodeInvalidParameter, []string{"the body is not a valid form"}},
		{"form with a semicolon", "application/x-www-form-urlencoded", "InstanceIds=ins-00000001;ProjectId=1", answer.CodeInvalidParameter, []string{"not a valid form", "semicolon"}},
		{"form with a bad ProjectId", "application/x-www-form-urlencoded", "InstanceIds=ins-00000001&ProjectId=abc", answer.CodeInvalidParameterValue, []string{"ProjectId", `"abc"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &HTTPRequest{Headers: map[string]string{"content-type": tt.contentType}, Query: url.Values{}, Body: []byte(tt.body)}
			_, err := Event{Kind: KindAPIGateway, HTTP: h}.Request()
			require.NotNil(t, err)
			assert.Equal(t, tt.code, err.Code)
			for _, m := range tt.message {
				assert.Contains(t, err.Message, m)
			}
		})
	}
}

func ptr(n int64) *int64 { return &n }

func boolPtr(b bool) *bool { return &b }
