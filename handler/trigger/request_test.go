package trigger

import (
	"encoding/json"
	"fmt"
	"net/url"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentyun/scf-go-lib/events"
)

// ids returns ins-0000000a .. ins-0000000b, the seeded instances' ids.
func ids(from, to int) []string {
	out := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-%08d", i))
	}
	return out
}

// What each sample asks for: the raw request, then the validated one
// (Region from sampleDefaultRegion when the sample names none), or the
// code Validate refuses it with.
const sampleDefaultRegion = "ap-shanghai"

var sampleRequests = map[string]struct {
	raw     request.Raw
	req     request.Move
	refused string
}{
	"apigw.json": {
		raw: request.Raw{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		req: request.Move{InstanceIDs: ids(1, 2), ProjectID: 1045, Region: "ap-guangzhou"},
	},
	"apigw-query.json": {
		raw: request.Raw{InstanceIDs: []string{"ins-00000004", "ins-00000005", "ins-00000004"}, ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true, SkipInvalid: boolPtr(true)},
		req: request.Move{InstanceIDs: ids(4, 5), ProjectID: 1045, Region: "ap-guangzhou", SkipInvalid: boolPtr(true)},
	},
	"apigw-base64.json": {
		raw: request.Raw{InstanceIDs: ids(6, 7), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: request.Move{InstanceIDs: ids(6, 7), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"function-url.json": {
		raw: request.Raw{InstanceIDs: ids(13, 14), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		req: request.Move{InstanceIDs: ids(13, 14), ProjectID: 1045, Region: "ap-guangzhou"},
	},
	"timer.json": {
		raw: request.Raw{InstanceIDs: ids(9, 10), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		req: request.Move{InstanceIDs: ids(9, 10), ProjectID: 1045, Region: "ap-guangzhou"},
	},
	"timer-query.json": {
		raw: request.Raw{InstanceIDs: ids(11, 12), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: request.Move{InstanceIDs: ids(11, 12), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"direct.json": {
		raw: request.Raw{InstanceIDs: ids(3, 3), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: request.Move{InstanceIDs: ids(3, 3), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"direct-150.json": {
		raw: request.Raw{InstanceIDs: ids(1, 150), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: request.Move{InstanceIDs: ids(1, 150), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"invalid-malformed-id.json": {
		raw:     request.Raw{InstanceIDs: []string{"ins-00000001", "ins-0000002"}, ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		refused: answer.CodeInstanceIDMalformed,
	},
}

// Every sample asks for what it says; a sample without an expectation here
// fails. The samples of rules and EventBridge are checked in
// ../rules/request_test.go and cloudevent_test.go.
func TestSampleRequests(t *testing.T) {
	files := sampleFiles(t)
	for name := range files {
		if isRulesSample(name) {
			delete(files, name)
		}
	}
	assert.Len(t, files, len(sampleRequests), "every sample has an expectation and every expectation a sample")
	for name, payload := range files {
		t.Run(name, func(t *testing.T) {
			want, ok := sampleRequests[name]
			require.True(t, ok, "no expectation for sample %s", name)
			ev, err := Decode(payload)
			require.Nil(t, err)
			raw, err := ev.Request()
			require.Nil(t, err)
			assert.Equal(t, want.raw, raw)

			req, err := request.Validate(raw, sampleDefaultRegion, request.MaxInstanceIDs)
			if want.refused != "" {
				require.NotNil(t, err)
				assert.Equal(t, want.refused, err.Code)
				return
			}
			require.Nil(t, err)
			assert.Equal(t, want.req, req)
		})
	}
}

// The JSON request, read leniently.
func TestRequestFromJSON(t *testing.T) {
	tests := []struct {
		name string
		json string
		want request.Raw
	}{
		{"as the API spells it", `{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":1045,"Region":"ap-guangzhou"}`,
			request.Raw{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"keys in another case", `{"instanceIds":["ins-00000001"],"projectid":7,"REGION":"ap-guangzhou"}`,
			request.Raw{InstanceIDs: ids(1, 1), ProjectID: ptr(7), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"InstanceIds one comma-separated string", `{"InstanceIds":" ins-00000001, ins-00000002,,","ProjectId":1}`,
			request.Raw{InstanceIDs: ids(1, 2), ProjectID: ptr(1), HasInstanceIDs: true, HasProjectID: true}},
		{"InstanceIds as given: duplicates and bad ids kept", `{"InstanceIds":["ins-00000002","x"," ins-00000002",""]}`,
			request.Raw{InstanceIDs: []string{"ins-00000002", "x", " ins-00000002", ""}, HasInstanceIDs: true}},
		{"InstanceIds empty array", `{"InstanceIds":[]}`, request.Raw{InstanceIDs: []string{}, HasInstanceIDs: true}},
		{"InstanceIds empty string", `{"InstanceIds":""}`, request.Raw{HasInstanceIDs: true}},
		{"ProjectId a string of digits", `{"ProjectId":" 1045 "}`, request.Raw{ProjectID: ptr(1045), HasProjectID: true}},
		{"ProjectId 0, the default project", `{"ProjectId":0}`, request.Raw{ProjectID: ptr(0), HasProjectID: true}},
		{"ProjectId negative: for Validate to refuse", `{"ProjectId":-1}`, request.Raw{ProjectID: ptr(-1), HasProjectID: true}},
		{"ProjectId the largest int64", `{"ProjectId":9223372036854775807}`, request.Raw{ProjectID: ptr(9223372036854775807), HasProjectID: true}},
		{"null is absent", `{"InstanceIds":null,"ProjectId":null,"Region":null}`, request.Raw{}},
		{"DryRun true", `{"DryRun":true}`, request.Raw{DryRun: boolPtr(true)}},
		{"DryRun false", `{"dryrun":false}`, request.Raw{DryRun: boolPtr(false)}},
		{"DryRun a string", `{"DryRun":"true"}`, request.Raw{DryRun: boolPtr(true)}},
		{"DryRun null is absent", `{"DryRun":null}`, request.Raw{}},
		{"Rules kept as given, Reconcile and DryRun read", `{"Rules":[{"a":1}],"reconcile":true,"DryRun":true}`, request.Raw{Rules: []byte(`[{"a":1}]`), Reconcile: true, DryRun: boolPtr(true)}},
		{"Rules, Reconcile and DryRun null are absent", `{"Rules":null,"Reconcile":null,"DryRun":null}`, request.Raw{}},
		{"Reconcile false", `{"Reconcile":false}`, request.Raw{}},
		{"Region trimmed", `{"Region":" ap-guangzhou "}`, request.Raw{Region: "ap-guangzhou"}},
		{"twin keys with one value", `{"ProjectId":1,"projectid":1}`, request.Raw{ProjectID: ptr(1), HasProjectID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Event{Kind: KindDirect, Direct: json.RawMessage(tt.json)}.Request()
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Every wrong type or value is refused with a message that names the field;
// what could be read is still returned, for the answer to echo.
func TestRequestFromJSONRejects(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		code    string
		wantIn  []string
		partial request.Raw
	}{
		{"InstanceIds a number", `{"InstanceIds":1,"ProjectId":1045}`, answer.CodeInvalidParameterValue,
			[]string{"InstanceIds must be an array of strings or a comma-separated string", "got a number"},
			request.Raw{ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true}},
		{"InstanceIds an object", `{"InstanceIds":{"a":"ins-00000001"}}`, answer.CodeInvalidParameterValue,
			[]string{"InstanceIds", "got an object"}, request.Raw{HasInstanceIDs: true}},
		{"InstanceIds holds a number", `{"InstanceIds":["ins-00000001",2]}`, answer.CodeInvalidParameterValue,
			[]string{"InstanceIds must be an array of strings", "element 1 is a number"},
			request.Raw{InstanceIDs: ids(1, 1), HasInstanceIDs: true}},
		{"InstanceIds holds null", `{"InstanceIds":[null]}`, answer.CodeInvalidParameterValue,
			[]string{"InstanceIds must be an array of strings", "element 0 is null"}, request.Raw{InstanceIDs: []string{}, HasInstanceIDs: true}},
		{"ProjectId fractional", `{"InstanceIds":["ins-00000001"],"ProjectId":1045.5}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", `"1045.5"`}, request.Raw{InstanceIDs: ids(1, 1), HasInstanceIDs: true, HasProjectID: true}},
		{"ProjectId with a fraction of zero", `{"ProjectId":1045.0}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer"}, request.Raw{HasProjectID: true}},
		{"ProjectId in exponent form", `{"ProjectId":1e3}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", `"1e3"`}, request.Raw{HasProjectID: true}},
		{"ProjectId huge", `{"ProjectId":9223372036854775808}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId", "out of range"}, request.Raw{HasProjectID: true}},
		{"ProjectId hugely negative", `{"ProjectId":"-99999999999999999999"}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId", "out of range"}, request.Raw{HasProjectID: true}},
		{"ProjectId a string of letters", `{"ProjectId":"abc"}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", `"abc"`}, request.Raw{HasProjectID: true}},
		{"ProjectId a string with a sign", `{"ProjectId":"+5"}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer"}, request.Raw{HasProjectID: true}},
		{"ProjectId a lone minus", `{"ProjectId":"-"}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer"}, request.Raw{HasProjectID: true}},
		{"ProjectId an empty string", `{"ProjectId":""}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", "empty"}, request.Raw{HasProjectID: true}},
		{"ProjectId a boolean", `{"ProjectId":true}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer or a string of digits", "got a boolean"}, request.Raw{HasProjectID: true}},
		{"ProjectId an array", `{"ProjectId":[1045]}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId", "got an array"}, request.Raw{HasProjectID: true}},
		{"DryRun a number", `{"ProjectId":1,"DryRun":1}`, answer.CodeInvalidParameterValue,
			[]string{"DryRun must be true or false", "got a number"}, request.Raw{ProjectID: ptr(1), HasProjectID: true}},
		{"DryRun a word", `{"DryRun":"yes please"}`, answer.CodeInvalidParameterValue,
			[]string{"DryRun must be true or false", `"yes please"`}, request.Raw{}},
		{"DryRun an empty string", `{"DryRun":""}`, answer.CodeInvalidParameterValue, []string{"DryRun must be true or false"}, request.Raw{}},
		{"Region a number", `{"InstanceIds":["ins-00000001"],"ProjectId":1,"Region":1}`, answer.CodeInvalidParameterValue,
			[]string{"Region must be a string", "got a number"}, request.Raw{InstanceIDs: ids(1, 1), ProjectID: ptr(1), HasInstanceIDs: true, HasProjectID: true}},
		{"the first error is told", `{"InstanceIds":1,"ProjectId":"x","Region":2}`, answer.CodeInvalidParameterValue,
			[]string{"InstanceIds"}, request.Raw{HasInstanceIDs: true, HasProjectID: true}},
		{"an absurd value is cut short", `{"ProjectId":"` + strings.Repeat("9x", 500) + `"}`, answer.CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", "… (1000 bytes)"}, request.Raw{HasProjectID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Event{Kind: KindDirect, Direct: json.RawMessage(tt.json)}.Request()
			require.NotNil(t, err)
			assert.Equal(t, tt.code, err.Code)
			for _, m := range tt.wantIn {
				assert.Contains(t, err.Message, m)
			}
			assert.Less(t, len(err.Message), 300)
			assert.Equal(t, tt.partial, got)
		})
	}
}

// A form or a query: InstanceIds repeated, comma-separated, or as
// InstanceIds.N in the order of N.
func TestRequestFromValues(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  request.Raw
	}{
		{"one key, a comma-separated list", "InstanceIds=ins-00000001,ins-00000002&ProjectId=1045&Region=ap-guangzhou",
			request.Raw{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"a repeated key, in order", "InstanceIds=ins-00000002&InstanceIds=ins-00000001,ins-00000003",
			request.Raw{InstanceIDs: []string{"ins-00000002", "ins-00000001", "ins-00000003"}, HasInstanceIDs: true}},
		{"InstanceIds.N in the order of N, not of the text", "InstanceIds.10=ins-00000011&InstanceIds.2=ins-00000003&InstanceIds.0=ins-00000001&InstanceIds.1=ins-00000002",
			request.Raw{InstanceIDs: []string{"ins-00000001", "ins-00000002", "ins-00000003", "ins-00000011"}, HasInstanceIDs: true}},
		{"InstanceIds before InstanceIds.N", "InstanceIds.0=ins-00000002&InstanceIds=ins-00000001",
			request.Raw{InstanceIDs: ids(1, 2), HasInstanceIDs: true}},
		{"keys in another case", "instanceids=ins-00000001&projectid=5&region=ap-guangzhou",
			request.Raw{InstanceIDs: ids(1, 1), ProjectID: ptr(5), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"a bare InstanceIds: present and empty", "InstanceIds&ProjectId=1", request.Raw{InstanceIDs: nil, ProjectID: ptr(1), HasInstanceIDs: true, HasProjectID: true}},
		{"the same ProjectId twice is one", "ProjectId=1045&ProjectId=1045", request.Raw{ProjectID: ptr(1045), HasProjectID: true}},
		{"an empty Region is none", "Region=", request.Raw{}},
		{"DryRun=true", "DryRun=true", request.Raw{DryRun: boolPtr(true)}},
		{"dryrun=0", "dryrun=0", request.Raw{DryRun: boolPtr(false)}},
		{"a bare DryRun says true", "InstanceIds=ins-00000001&DryRun", request.Raw{InstanceIDs: ids(1, 1), HasInstanceIDs: true, DryRun: boolPtr(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			got, e := request.FromValues("the query", values)
			require.Nil(t, e)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRequestFromValuesRejects(t *testing.T) {
	tests := []struct {
		name   string
		values url.Values
		wantIn []string
	}{
		{"ProjectId given twice, differently", url.Values{"ProjectId": {"1", "2"}}, []string{"ProjectId is given 2 different values in the query"}},
		{"ProjectId twice, in two cases", url.Values{"ProjectId": {"1"}, "projectid": {"2"}}, []string{"ProjectId is given 2 different values"}},
		{"a bare ProjectId", url.Values{"ProjectId": {}}, []string{"ProjectId must be an integer", "empty"}},
		{"ProjectId fractional", url.Values{"ProjectId": {"1.5"}}, []string{"ProjectId must be an integer", `"1.5"`}},
		{"Region given twice, differently", url.Values{"Region": {"ap-guangzhou", "ap-shanghai"}}, []string{"Region is given 2 different values"}},
		{"DryRun a word", url.Values{"DryRun": {"sure"}}, []string{"DryRun must be true or false", `"sure"`}},
		{"DryRun given twice, differently", url.Values{"DryRun": {"true", "false"}}, []string{"DryRun is given 2 different values"}},
		{"Rules, which only JSON carries", url.Values{"InstanceIds": {"ins-00000001"}, "Rules": {`[{"Tag":{"Key":"env"},"ProjectId":7}]`}}, []string{"Rules cannot be given in the query", "as JSON"}},
		{"rules, in any case", url.Values{"rules": {""}}, []string{"Rules cannot be given in the query"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := request.FromValues("the query", tt.values)
			require.NotNil(t, err)
			assert.Equal(t, answer.CodeInvalidParameterValue, err.Code)
			for _, m := range tt.wantIn {
				assert.Contains(t, err.Message, m)
			}
		})
	}
}

// An Event of a kind that carries no request is the caller's bug: a 500.
func TestRequestFromEventWithoutOne(t *testing.T) {
	for _, ev := range []Event{{}, {Kind: KindEventBridge}, {Kind: "other"}} {
		_, err := ev.Request()
		require.NotNil(t, err, "%v", ev.Kind)
		assert.Equal(t, answer.CodeInternalError, err.Code)
	}
	_, err := Event{Kind: KindDirect}.Request()
	require.NotNil(t, err)
	assert.Equal(t, answer.CodeInvalidParameter, err.Code, "an empty direct payload is the caller's")
}

// FuzzRequestFromEvent: for any bytes, as a payload and as what each kind
// of event carries (a direct payload, a JSON body, a form body, a query, a
// timer Message), extraction and validation never panic, refuse only with
// 4xx codes, and what Validate accepts keeps its promises; what the handler
// decides for each event before any upstream call is a 4xx refusal or a
// well-formed request (assertRequestContract; the handler's own run of each
// event is fuzzed in package handler by FuzzRequestContract). The committed
// corpus is in testdata/fuzz/FuzzRequestFromEvent.
func FuzzRequestFromEvent(f *testing.F) {
	for _, b := range sampleFiles(f) {
		f.Add(b)
		if ev, err := Decode(b); err == nil { // the bodies and Messages too
			switch {
			case ev.HTTP != nil:
				f.Add(ev.HTTP.Body)
			case ev.Timer != nil:
				f.Add([]byte(ev.Timer.Message))
			}
		}
	}
	for _, s := range []string{"InstanceIds.0=ins-00000001&InstanceIds.1=ins-00000002&ProjectId=1", `{"ProjectId":1e400}`, `{"InstanceIds":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs := []Event{
			{Kind: KindDirect, Direct: data},
			{Kind: KindFunctionURL, HTTP: &HTTPRequest{Headers: map[string]string{"content-type": "application/json"}, Body: data}},
			{Kind: KindAPIGateway, HTTP: &HTTPRequest{Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}, Body: data}},
			{Kind: KindTimer, Timer: &events.TimerEvent{Message: string(data)}},
		}
		if q, err := url.ParseQuery(string(data)); err == nil {
			evs = append(evs, Event{Kind: KindAPIGateway, HTTP: &HTTPRequest{Query: q}})
		}
		if ev, err := Decode(data); err == nil && ev.Kind != KindEventBridge { // no request: FuzzCloudEvent
			evs = append(evs, ev)
		}
		for _, ev := range evs {
			assertRequestContract(t, ev)
			raw, err := ev.Request()
			if err != nil {
				assertRefusal(t, err)
				assertAnswerJSON(t, answer.Failed(err, raw.InstanceIDs, raw.ProjectID))
				continue
			}
			req, err := request.Validate(raw, "ap-guangzhou", request.MaxInstanceIDs)
			if err != nil {
				assertRefusal(t, err)
				assertAnswerJSON(t, answer.Failed(err, raw.InstanceIDs, raw.ProjectID))
				continue
			}
			assert.NotEmpty(t, req.InstanceIDs)
			assertInstances(t, req.InstanceIDs, request.MaxInstanceIDs)
			assert.GreaterOrEqual(t, req.ProjectID, int64(0))
			assert.True(t, request.ValidRegion(req.Region), req.Region)
		}
	})
}

// assertRefusal checks that an error is one the caller can fix: a 4xx with
// a message.
func assertRefusal(t *testing.T, err *answer.Error) {
	t.Helper()
	status := answer.HTTPStatus(err.Code)
	assert.True(t, status >= 400 && status < 500, "code %s maps to %d", err.Code, status)
	assert.NotEmpty(t, err.Message)
}

// assertAnswerJSON checks that an answer's JSON has no null list and
// survives the HTTP wrapping.
func assertAnswerJSON(t *testing.T, a answer.Answer) {
	t.Helper()
	resp := answer.HTTPResponse(a)
	var back map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &back))
	assert.Equal(t, request.TypeArray, request.JSONType(back["InstanceIds"]))
	assert.Equal(t, request.TypeArray, request.JSONType(back["Batches"]))
}

// BenchmarkSampleToRequest: decode, extract and validate each sample, the
// pure part of every invocation.
func BenchmarkSampleToRequest(b *testing.B) {
	files := sampleFiles(b)
	for _, name := range []string{"apigw.json", "timer-query.json", "direct-150.json"} {
		payload := files[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ev, err := Decode(payload)
				if err != nil {
					b.Fatal(err)
				}
				raw, err := ev.Request()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := request.Validate(raw, "ap-guangzhou", request.MaxInstanceIDs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A key given twice with different values is refused, as forms refuse it:
// which one was meant is not known, and {"DryRun":true,"dryrun":false}
// must not move anything.
func TestTwinKeysWithDifferentValuesAreRefused(t *testing.T) {
	for _, body := range []string{
		`{"InstanceIds":["ins-00000016"],"ProjectId":1045,"DryRun":true,"dryrun":false}`,
		`{"InstanceIds":["ins-00000016"],"ProjectId":1045,"ProjectId":7}`,
		`{"InstanceIds":["ins-00000016"],"instanceids":"ins-00000017","ProjectId":1045}`,
	} {
		_, err := Event{Kind: KindDirect, Direct: json.RawMessage(body)}.Request()
		require.NotNil(t, err, body)
		assert.Equal(t, "InvalidParameterValue", err.Code, body)
		assert.Contains(t, err.Message, "2 different values", body)
	}
}
