package trigger

import (
	samples "scf-cvm-project/events"

	"net/url"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentyun/scf-go-lib/events"
)

// sampleFiles returns the name and bytes of every sample event in events/.
func sampleFiles(testing.TB) map[string][]byte { return samples.Samples() }

// The decoded HTTP part of each HTTP sample; Headers are checked by a few
// keys, not in full.
var sampleHTTP = map[string]struct {
	kind    Kind
	req     HTTPRequest // Headers and Query checked separately
	headers map[string]string
	query   url.Values
}{
	"apigw.json": {
		kind:    KindAPIGateway,
		req:     HTTPRequest{Method: "POST", Path: "/cvm/project", Body: []byte(`{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":1045,"Region":"ap-guangzhou"}`), RequestID: "8d1e0b4c9a6f4e2d8c3b7a5f1e0d9c8b", SourceIP: "203.0.113.24", Stage: "release", ServiceID: "service-6x2kq9lw"},
		headers: map[string]string{"content-type": "application/json", "x-qualifier": "$DEFAULT"},
		query:   url.Values{},
	},
	"apigw-query.json": {
		kind: KindAPIGateway,
		// requestContext has no requestId here, as in real captures: it comes from x-api-requestid.
		req:     HTTPRequest{Method: "GET", Path: "/cvm/project", RequestID: "3f6a1c2e5b7d4f0a9e8c6b4a2d1f0e7c", SourceIP: "203.0.113.24", Stage: "release", ServiceID: "service-6x2kq9lw"},
		headers: map[string]string{"host": "service-6x2kq9lw-1250000000.gz.apigw.tencentcs.com"},
		query: url.Values{
			"InstanceIds": {"ins-00000004", "ins-00000005,ins-00000004"},
			"ProjectId":   {"1045"},
			"Region":      {"ap-guangzhou"},
			"SkipInvalid": {},
		},
	},
	"apigw-base64.json": {
		kind:    KindAPIGateway,
		req:     HTTPRequest{Method: "POST", Path: "/cvm/project", Body: []byte("InstanceIds.0=ins-00000006&InstanceIds.1=ins-00000007&ProjectId=1045"), RequestID: "b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2", SourceIP: "198.51.100.7", Stage: "release", ServiceID: "service-6x2kq9lw"},
		headers: map[string]string{"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
		query:   url.Values{},
	},
	"function-url.json": {
		kind:    KindFunctionURL,
		req:     HTTPRequest{Method: "POST", Path: "/", Body: []byte(`{"InstanceIds":"ins-00000013,ins-00000014","ProjectId":"1045","Region":"ap-guangzhou"}`), SourceIP: "203.0.113.24"},
		headers: map[string]string{"content-type": "application/json", "x-scf-remote-addr": "203.0.113.24"},
		query:   url.Values{},
	},
}

// The kind of every sample that is not HTTP, and the timer samples' events.
var sampleOther = map[string]struct {
	kind  Kind
	timer *events.TimerEvent
}{
	"timer.json": {KindTimer, &events.TimerEvent{Type: "Timer", TriggerName: "nightly-move-to-1045", Time: "2024-05-20T02:00:00Z",
		Message: `{"InstanceIds":["ins-00000009","ins-00000010"],"ProjectId":1045,"Region":"ap-guangzhou"}`}},
	"timer-query.json": {KindTimer, &events.TimerEvent{Type: "Timer", TriggerName: "nightly-move-to-1045", Time: "2024-05-20T02:00:00Z",
		Message: "InstanceIds=ins-00000011,ins-00000012&ProjectId=1045"}},
	"direct.json":               {KindDirect, nil},
	"direct-150.json":           {KindDirect, nil},
	"invalid-malformed-id.json": {KindDirect, nil},
	// Rules and EventBridge: what they ask is checked in ../rules/request_test.go and cloudevent_test.go.
	"rules-direct.json": {KindDirect, nil},
	"rules-timer-reconcile.json": {KindTimer, &events.TimerEvent{Type: "Timer", TriggerName: "hourly-reconcile", Time: "2024-05-20T03:00:00Z",
		Message: `{"Reconcile":true}`}},
	"eventbridge-tag.json":          {KindEventBridge, nil},
	"eventbridge-modify-tags.json":  {KindEventBridge, nil},
	"eventbridge-runinstances.json": {KindEventBridge, nil},
	"eventbridge-alarm.json":        {KindEventBridge, nil},
	"eventbridge-batch.json":        {KindEventBridge, nil},
	"eventbridge-no-instance.json":  {KindEventBridge, nil},
}

// Every sample decodes to its kind and its parts; a sample without an
// expectation here fails, so a new sample cannot go untested.
func TestSampleEventsDecode(t *testing.T) {
	files := sampleFiles(t)
	assert.Len(t, files, len(sampleHTTP)+len(sampleOther), "every sample has an expectation and every expectation a sample")
	for name, payload := range files {
		t.Run(name, func(t *testing.T) {
			ev, err := Decode(payload)
			require.Nil(t, err)
			if want, ok := sampleHTTP[name]; ok {
				assert.Equal(t, want.kind, ev.Kind)
				require.NotNil(t, ev.HTTP)
				got := *ev.HTTP
				for k, v := range want.headers {
					assert.Equal(t, v, got.Headers[k], "header %s", k)
				}
				for k := range got.Headers {
					assert.Equal(t, strings.ToLower(k), k, "header keys are lower-cased")
				}
				assert.Equal(t, want.query, got.Query)
				got.Headers, got.Query = nil, nil
				assert.Equal(t, want.req, got)
				assert.Nil(t, ev.Timer)
				assert.Nil(t, ev.Direct)
				return
			}
			want, ok := sampleOther[name]
			require.True(t, ok, "no expectation for sample %s", name)
			assert.Equal(t, want.kind, ev.Kind)
			assert.Nil(t, ev.HTTP)
			assert.Equal(t, want.timer, ev.Timer)
			if want.kind == KindDirect {
				assert.JSONEq(t, string(payload), string(ev.Direct))
			} else {
				assert.Nil(t, ev.Direct)
			}
			assert.Equal(t, want.kind == KindEventBridge, ev.CloudEvents != nil)
		})
	}
}

// How each kind is told from the others, beyond the samples.
func TestDecodeEventDetectsKind(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    Kind
	}{
		{"API Gateway as documented", `{"requestContext":{"serviceId":"service-f94sy04v","path":"/test/{path}","httpMethod":"POST","requestId":"c6af9ac6","identity":{"secretId":"abc"},"sourceIp":"10.0.2.14","stage":"release"},"headers":{"Accept":"*/*"},"body":"{}","path":"/test/value","queryString":{"foo":"bar"},"httpMethod":"POST"}`, KindAPIGateway},
		{"API Gateway without httpMethod", `{"requestContext":{"serviceId":"service-x"}}`, KindAPIGateway},
		{"function URL as documented: no requestContext", `{"body":"","headers":{"accept":"*/*"},"httpMethod":"GET","path":"/","queryString":{"a":"1"}}`, KindFunctionURL},
		{"function URL as sent: requestContext with sourceIp only", `{"httpMethod":"GET","requestContext":{"sourceIp":"36.159.237.104"}}`, KindFunctionURL},
		{"function URL with an empty requestContext", `{"httpMethod":"GET","requestContext":{}}`, KindFunctionURL},
		{"function URL with a null serviceId", `{"httpMethod":"GET","requestContext":{"serviceId":null}}`, KindFunctionURL},
		{"timer", `{"Type":"Timer","TriggerName":"t","Time":"2019-02-21T11:49:00Z","Message":"x"}`, KindTimer},
		{"timer, key and value in another case", `{"type":"timer","message":"x"}`, KindTimer},
		{"direct", `{"InstanceIds":["ins-00000001"],"ProjectId":1045}`, KindDirect},
		{"direct: empty object", `{}`, KindDirect},
		{"direct: httpMethod not a string", `{"httpMethod":1,"InstanceIds":"ins-00000001"}`, KindDirect},
		{"direct: requestContext not an object", `{"requestContext":"x"}`, KindDirect},
		{"direct: requestContext without service nor httpMethod", `{"requestContext":{"sourceIp":"1.2.3.4"}}`, KindDirect},
		{"direct: Type is not Timer", `{"Type":"Cron"}`, KindDirect},
		{"direct: Type is not a string", `{"Type":["Timer"]}`, KindDirect},
		{"EventBridge", `{"specversion":"1.0","type":"cvm:ErrorEvent:GuestReboot","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-00000001"}`, KindEventBridge},
		{"EventBridge, not a timer though its type is Timer", `{"specversion":"1.0","type":"Timer","time":"2024-05-20T02:00:00Z"}`, KindEventBridge},
		{"EventBridge, not HTTP whatever its extensions", `{"specversion":"1.0","httpmethod":"POST","requestcontext":{"serviceId":"s"}}`, KindEventBridge},
		{"EventBridge batch", `{"EventList":[{"specversion":"1.0"},{"specversion":"1.0"}]}`, KindEventBridge},
		{"EventBridge empty batch", `{"EventList":[]}`, KindEventBridge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(tt.payload))
			require.Nil(t, err)
			assert.Equal(t, tt.want, ev.Kind)
			assert.Equal(t, tt.want == KindAPIGateway || tt.want == KindFunctionURL, ev.HTTP != nil)
			assert.Equal(t, tt.want == KindTimer, ev.Timer != nil)
			assert.Equal(t, tt.want == KindDirect, ev.Direct != nil)
			assert.Equal(t, tt.want == KindEventBridge, ev.CloudEvents != nil)
		})
	}
}

// Every refusal of Decode has its code, a 4xx status, and a message
// that says what is wrong and where.
func TestDecodeEventRejects(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		code    string
		message []string // each must appear in the message
	}{
		{"empty", ``, answer.CodeInvalidParameter, []string{"the event is empty", "JSON object"}},
		{"blank", " \n\t", answer.CodeInvalidParameter, []string{"the event is empty"}},
		{"not JSON", `InstanceIds=ins-00000001`, answer.CodeInvalidParameter, []string{"the event is not valid JSON", "at byte 1"}},
		{"truncated JSON", `{"InstanceIds":[`, answer.CodeInvalidParameter, []string{"not valid JSON"}},
		{"trailing garbage", `{} x`, answer.CodeInvalidParameter, []string{"not valid JSON"}},
		{"array", `["ins-00000001"]`, answer.CodeInvalidParameter, []string{"must be a JSON object", "got an array"}},
		{"null", `null`, answer.CodeInvalidParameter, []string{"must be a JSON object", "got null"}},
		{"string", `"ins-00000001"`, answer.CodeInvalidParameter, []string{"got a string"}},
		{"number", ` 1045`, answer.CodeInvalidParameter, []string{"got a number"}},
		{"boolean", `true`, answer.CodeInvalidParameter, []string{"got a boolean"}},
		{"too large", `{"x":"` + strings.Repeat("a", request.MaxRequestBytes) + `"}`, answer.CodeRequestTooLarge, []string{"at most 6291456 bytes"}},
		{"bad base64", `{"httpMethod":"POST","isBase64Encoded":true,"body":"not base64!"}`, answer.CodeInvalidParameter, []string{"isBase64Encoded", "not base64"}},
		{"body a number", `{"httpMethod":"POST","body":12}`, answer.CodeInvalidParameter, []string{"function URL", "body", "want a string, got a number"}},
		{"body a boolean", `{"requestContext":{"serviceId":"s"},"body":true}`, answer.CodeInvalidParameter, []string{"API Gateway", "body", "got a boolean"}},
		{"headers an array", `{"httpMethod":"POST","headers":["a"]}`, answer.CodeInvalidParameter, []string{"headers", "want an object"}},
		{"a header a number", `{"httpMethod":"POST","headers":{"content-length":12}}`, answer.CodeInvalidParameter, []string{"at headers", "want a string", "got number"}},
		{"httpMethod of API Gateway a number", `{"requestContext":{"serviceId":"s"},"httpMethod":1}`, answer.CodeInvalidParameter, []string{"httpMethod", "want a string"}},
		{"isBase64Encoded a string", `{"httpMethod":"POST","isBase64Encoded":"true","body":""}`, answer.CodeInvalidParameter, []string{"isBase64Encoded", "want a boolean"}},
		{"queryString an array", `{"httpMethod":"GET","queryString":["a"]}`, answer.CodeInvalidParameter, []string{"queryString", "want an object, got an array"}},
		{"queryString value a number", `{"httpMethod":"GET","queryString":{"ProjectId":1045}}`, answer.CodeInvalidParameter, []string{"queryString", "a string, an array of strings or true"}},
		{"queryString value an array of numbers", `{"httpMethod":"GET","queryString":{"InstanceIds":[1]}}`, answer.CodeInvalidParameter, []string{"queryString"}},
		{"requestContext a string", `{"httpMethod":"GET","requestContext":"x"}`, answer.CodeInvalidParameter, []string{"requestContext", "want an object"}},
		{"sourceIp a number", `{"requestContext":{"serviceId":"s","sourceIp":1}}`, answer.CodeInvalidParameter, []string{"requestContext.sourceIp", "want a string"}},
		{"timer Message a number", `{"Type":"Timer","Message":1045}`, answer.CodeInvalidParameter, []string{"timer event", "Message", "want a string"}},
		{"timer Message an object", `{"Type":"Timer","Message":{"ProjectId":1045}}`, answer.CodeInvalidParameter, []string{"Message", "want a string, got object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(tt.payload))
			require.NotNil(t, err)
			// An HTTP event keeps its kind (to be answered in HTTP's shape),
			// and its headers when they could be read; nothing else is kept.
			switch {
			case strings.Contains(tt.payload, `"serviceId"`):
				assert.Equal(t, KindAPIGateway, ev.Kind)
			case strings.Contains(tt.payload, `"httpMethod"`) && !strings.Contains(tt.payload, `"httpMethod":1`):
				assert.Equal(t, KindFunctionURL, ev.Kind)
			case tt.code == answer.CodeRequestTooLarge:
				assert.Equal(t, KindDirect, ev.Kind)
			default:
				assert.Equal(t, Kind(""), ev.Kind)
			}
			assert.Nil(t, ev.Timer)
			assert.Nil(t, ev.Direct)
			assert.Equal(t, tt.code, err.Code)
			for _, m := range tt.message {
				assert.Contains(t, err.Message, m)
			}
			assert.Less(t, len(err.Message), 400, "the message does not repeat the payload")
			assert.GreaterOrEqual(t, answer.HTTPStatus(err.Code), 400)
			assert.Less(t, answer.HTTPStatus(err.Code), 500)
		})
	}
}

// A payload of exactly request.MaxRequestBytes is still read.
func TestDecodeEventSizeLimitIsInclusive(t *testing.T) {
	pad := request.MaxRequestBytes - len(`{"x":""}`)
	payload := []byte(`{"x":"` + strings.Repeat("a", pad) + `"}`)
	require.Len(t, payload, request.MaxRequestBytes)
	ev, err := Decode(payload)
	require.Nil(t, err)
	assert.Equal(t, KindDirect, ev.Kind)
}

// The Direct payload is a copy: the caller may reuse its buffer.
func TestDecodeEventCopiesDirectPayload(t *testing.T) {
	payload := []byte(`{"ProjectId":1045}`)
	ev, err := Decode(payload)
	require.Nil(t, err)
	copy(payload, `{"ProjectId":9999}`)
	assert.JSONEq(t, `{"ProjectId":1045}`, string(ev.Direct))
}

// Nobody reads the answer of a timer, an EventBridge delivery or a direct
// invocation that asks for Async: those fail when work is left unfinished.
func TestUnread(t *testing.T) {
	for _, tt := range []struct {
		kind  Kind
		async bool
		want  bool
	}{
		{KindTimer, false, true}, {KindEventBridge, false, true},
		{KindDirect, false, false}, {KindDirect, true, true},
		{KindAPIGateway, true, false}, {KindFunctionURL, true, false}, {"", false, false},
	} {
		assert.Equal(t, tt.want, tt.kind.Unread(tt.async), "%v async=%v", tt.kind, tt.async)
	}
}
