package trigger

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
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
	raw     RawRequest
	req     Request
	refused string
}{
	"apigw.json": {
		raw: RawRequest{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(1, 2), ProjectID: 1045, Region: "ap-guangzhou"},
	},
	"apigw-query.json": {
		raw: RawRequest{InstanceIDs: []string{"ins-00000004", "ins-00000005", "ins-00000004"}, ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(4, 5), ProjectID: 1045, Region: "ap-guangzhou"},
	},
	"apigw-base64.json": {
		raw: RawRequest{InstanceIDs: ids(6, 7), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(6, 7), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"function-url.json": {
		raw: RawRequest{InstanceIDs: ids(13, 14), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(13, 14), ProjectID: 1045, Region: "ap-guangzhou"},
	},
	"timer.json": {
		raw: RawRequest{InstanceIDs: ids(9, 10), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(9, 10), ProjectID: 1045, Region: "ap-guangzhou"},
	},
	"timer-query.json": {
		raw: RawRequest{InstanceIDs: ids(11, 12), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(11, 12), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"direct.json": {
		raw: RawRequest{InstanceIDs: ids(3, 3), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(3, 3), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"direct-150.json": {
		raw: RawRequest{InstanceIDs: ids(1, 150), ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		req: Request{InstanceIDs: ids(1, 150), ProjectID: 1045, Region: sampleDefaultRegion},
	},
	"invalid-malformed-id.json": {
		raw:     RawRequest{InstanceIDs: []string{"ins-00000001", "ins-0000002"}, ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		refused: CodeInstanceIDMalformed,
	},
}

// Every sample asks for what it says; a sample without an expectation here
// fails. The samples of rules and EventBridge are checked in rules_test.go
// and cloudevent_test.go.
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
			ev, err := DecodeEvent(payload)
			require.Nil(t, err)
			raw, err := RequestFromEvent(ev)
			require.Nil(t, err)
			assert.Equal(t, want.raw, raw)

			req, err := Validate(raw, sampleDefaultRegion, 0)
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
		want RawRequest
	}{
		{"as the API spells it", `{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":1045,"Region":"ap-guangzhou"}`,
			RawRequest{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"keys in another case", `{"instanceIds":["ins-00000001"],"projectid":7,"REGION":"ap-guangzhou"}`,
			RawRequest{InstanceIDs: ids(1, 1), ProjectID: ptr(7), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"InstanceIds one comma-separated string", `{"InstanceIds":" ins-00000001, ins-00000002,,","ProjectId":1}`,
			RawRequest{InstanceIDs: ids(1, 2), ProjectID: ptr(1), HasInstanceIDs: true, HasProjectID: true}},
		{"InstanceIds as given: duplicates and bad ids kept", `{"InstanceIds":["ins-00000002","x"," ins-00000002",""]}`,
			RawRequest{InstanceIDs: []string{"ins-00000002", "x", " ins-00000002", ""}, HasInstanceIDs: true}},
		{"InstanceIds empty array", `{"InstanceIds":[]}`, RawRequest{InstanceIDs: []string{}, HasInstanceIDs: true}},
		{"InstanceIds empty string", `{"InstanceIds":""}`, RawRequest{HasInstanceIDs: true}},
		{"ProjectId a string of digits", `{"ProjectId":" 1045 "}`, RawRequest{ProjectID: ptr(1045), HasProjectID: true}},
		{"ProjectId 0, the default project", `{"ProjectId":0}`, RawRequest{ProjectID: ptr(0), HasProjectID: true}},
		{"ProjectId negative: for Validate to refuse", `{"ProjectId":-1}`, RawRequest{ProjectID: ptr(-1), HasProjectID: true}},
		{"ProjectId the largest int64", `{"ProjectId":9223372036854775807}`, RawRequest{ProjectID: ptr(9223372036854775807), HasProjectID: true}},
		{"null is absent", `{"InstanceIds":null,"ProjectId":null,"Region":null}`, RawRequest{}},
		{"unknown keys are ignored", `{"Verbose":true,"Comment":[{"a":1}],"ProjectId":2}`, RawRequest{ProjectID: ptr(2), HasProjectID: true}},
		{"DryRun true", `{"DryRun":true}`, RawRequest{DryRun: boolPtr(true)}},
		{"DryRun false", `{"dryrun":false}`, RawRequest{DryRun: boolPtr(false)}},
		{"DryRun a string", `{"DryRun":"true"}`, RawRequest{DryRun: boolPtr(true)}},
		{"DryRun null is absent", `{"DryRun":null}`, RawRequest{}},
		{"Rules kept as given, Reconcile and DryRun read", `{"Rules":[{"a":1}],"reconcile":true,"DryRun":true}`, RawRequest{Rules: []byte(`[{"a":1}]`), Reconcile: true, DryRun: boolPtr(true)}},
		{"Rules, Reconcile and DryRun null are absent", `{"Rules":null,"Reconcile":null,"DryRun":null}`, RawRequest{}},
		{"Reconcile false", `{"Reconcile":false}`, RawRequest{}},
		{"Region trimmed", `{"Region":" ap-guangzhou "}`, RawRequest{Region: "ap-guangzhou"}},
		{"the last of twin keys wins, as in encoding/json", `{"ProjectId":1,"projectid":2}`, RawRequest{ProjectID: ptr(2), HasProjectID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RequestFromEvent(Event{Kind: KindDirect, Direct: json.RawMessage(tt.json)})
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
		partial RawRequest
	}{
		{"InstanceIds a number", `{"InstanceIds":1,"ProjectId":1045}`, CodeInvalidParameterValue,
			[]string{"InstanceIds must be an array of strings or a comma-separated string", "got a number"},
			RawRequest{ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true}},
		{"InstanceIds an object", `{"InstanceIds":{"a":"ins-00000001"}}`, CodeInvalidParameterValue,
			[]string{"InstanceIds", "got an object"}, RawRequest{HasInstanceIDs: true}},
		{"InstanceIds holds a number", `{"InstanceIds":["ins-00000001",2]}`, CodeInvalidParameterValue,
			[]string{"InstanceIds must be an array of strings", "element 1 is a number"},
			RawRequest{InstanceIDs: ids(1, 1), HasInstanceIDs: true}},
		{"InstanceIds holds null", `{"InstanceIds":[null]}`, CodeInvalidParameterValue,
			[]string{"InstanceIds must be an array of strings", "element 0 is null"}, RawRequest{InstanceIDs: []string{}, HasInstanceIDs: true}},
		{"ProjectId fractional", `{"InstanceIds":["ins-00000001"],"ProjectId":1045.5}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", `"1045.5"`}, RawRequest{InstanceIDs: ids(1, 1), HasInstanceIDs: true, HasProjectID: true}},
		{"ProjectId with a fraction of zero", `{"ProjectId":1045.0}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer"}, RawRequest{HasProjectID: true}},
		{"ProjectId in exponent form", `{"ProjectId":1e3}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", `"1e3"`}, RawRequest{HasProjectID: true}},
		{"ProjectId huge", `{"ProjectId":9223372036854775808}`, CodeInvalidParameterValue,
			[]string{"ProjectId", "out of range"}, RawRequest{HasProjectID: true}},
		{"ProjectId hugely negative", `{"ProjectId":"-99999999999999999999"}`, CodeInvalidParameterValue,
			[]string{"ProjectId", "out of range"}, RawRequest{HasProjectID: true}},
		{"ProjectId a string of letters", `{"ProjectId":"abc"}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", `"abc"`}, RawRequest{HasProjectID: true}},
		{"ProjectId a string with a sign", `{"ProjectId":"+5"}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer"}, RawRequest{HasProjectID: true}},
		{"ProjectId a lone minus", `{"ProjectId":"-"}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer"}, RawRequest{HasProjectID: true}},
		{"ProjectId an empty string", `{"ProjectId":""}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", "empty"}, RawRequest{HasProjectID: true}},
		{"ProjectId a boolean", `{"ProjectId":true}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer or a string of digits", "got a boolean"}, RawRequest{HasProjectID: true}},
		{"ProjectId an array", `{"ProjectId":[1045]}`, CodeInvalidParameterValue,
			[]string{"ProjectId", "got an array"}, RawRequest{HasProjectID: true}},
		{"DryRun a number", `{"ProjectId":1,"DryRun":1}`, CodeInvalidParameterValue,
			[]string{"DryRun must be true or false", "got a number"}, RawRequest{ProjectID: ptr(1), HasProjectID: true}},
		{"DryRun a word", `{"DryRun":"yes please"}`, CodeInvalidParameterValue,
			[]string{"DryRun must be true or false", `"yes please"`}, RawRequest{}},
		{"DryRun an empty string", `{"DryRun":""}`, CodeInvalidParameterValue, []string{"DryRun must be true or false"}, RawRequest{}},
		{"Region a number", `{"InstanceIds":["ins-00000001"],"ProjectId":1,"Region":1}`, CodeInvalidParameterValue,
			[]string{"Region must be a string", "got a number"}, RawRequest{InstanceIDs: ids(1, 1), ProjectID: ptr(1), HasInstanceIDs: true, HasProjectID: true}},
		{"the first error is told", `{"InstanceIds":1,"ProjectId":"x","Region":2}`, CodeInvalidParameterValue,
			[]string{"InstanceIds"}, RawRequest{HasInstanceIDs: true, HasProjectID: true}},
		{"an absurd value is cut short", `{"ProjectId":"` + strings.Repeat("9x", 500) + `"}`, CodeInvalidParameterValue,
			[]string{"ProjectId must be an integer", "… (1000 bytes)"}, RawRequest{HasProjectID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RequestFromEvent(Event{Kind: KindDirect, Direct: json.RawMessage(tt.json)})
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
		want  RawRequest
	}{
		{"one key, a comma-separated list", "InstanceIds=ins-00000001,ins-00000002&ProjectId=1045&Region=ap-guangzhou",
			RawRequest{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"a repeated key, in order", "InstanceIds=ins-00000002&InstanceIds=ins-00000001,ins-00000003",
			RawRequest{InstanceIDs: []string{"ins-00000002", "ins-00000001", "ins-00000003"}, HasInstanceIDs: true}},
		{"InstanceIds.N in the order of N, not of the text", "InstanceIds.10=ins-00000011&InstanceIds.2=ins-00000003&InstanceIds.0=ins-00000001&InstanceIds.1=ins-00000002",
			RawRequest{InstanceIDs: []string{"ins-00000001", "ins-00000002", "ins-00000003", "ins-00000011"}, HasInstanceIDs: true}},
		{"InstanceIds before InstanceIds.N", "InstanceIds.0=ins-00000002&InstanceIds=ins-00000001",
			RawRequest{InstanceIDs: ids(1, 2), HasInstanceIDs: true}},
		{"keys in another case", "instanceids=ins-00000001&projectid=5&region=ap-guangzhou",
			RawRequest{InstanceIDs: ids(1, 1), ProjectID: ptr(5), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}},
		{"InstanceIds.x is not an index: ignored", "InstanceIds.x=ins-00000001&InstanceIds.=ins-00000002", RawRequest{}},
		{"a bare InstanceIds: present and empty", "InstanceIds&ProjectId=1", RawRequest{InstanceIDs: nil, ProjectID: ptr(1), HasInstanceIDs: true, HasProjectID: true}},
		{"the same ProjectId twice is one", "ProjectId=1045&ProjectId=1045", RawRequest{ProjectID: ptr(1045), HasProjectID: true}},
		{"an empty Region is none", "Region=", RawRequest{}},
		{"unknown keys are ignored", "Rules=x&verbose", RawRequest{}},
		{"DryRun=true", "DryRun=true", RawRequest{DryRun: boolPtr(true)}},
		{"dryrun=0", "dryrun=0", RawRequest{DryRun: boolPtr(false)}},
		{"a bare DryRun says true", "InstanceIds=ins-00000001&DryRun", RawRequest{InstanceIDs: ids(1, 1), HasInstanceIDs: true, DryRun: boolPtr(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			got, e := requestFromValues("the query", values)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := requestFromValues("the query", tt.values)
			require.NotNil(t, err)
			assert.Equal(t, CodeInvalidParameterValue, err.Code)
			for _, m := range tt.wantIn {
				assert.Contains(t, err.Message, m)
			}
		})
	}
}

// An Event that was not built by DecodeEvent is the caller's bug: a 500.
func TestRequestFromEventWithoutItsPart(t *testing.T) {
	for _, ev := range []Event{{}, {Kind: KindAPIGateway}, {Kind: KindFunctionURL}, {Kind: KindTimer}, {Kind: Kind(42)}} {
		_, err := RequestFromEvent(ev)
		require.NotNil(t, err, "%v", ev.Kind)
		assert.Equal(t, CodeInternalError, err.Code)
	}
	_, err := RequestFromEvent(Event{Kind: KindDirect})
	require.NotNil(t, err)
	assert.Equal(t, CodeInvalidParameter, err.Code, "an empty direct payload is the caller's")
}

// FuzzRequestFromEvent: for any bytes, as a payload and as what each kind
// of event carries (a direct payload, a JSON body, a form body, a query, a
// timer Message), extraction and validation never panic, refuse only with
// 4xx codes, and what Validate accepts keeps its promises; the handler,
// given each event, answers a rejection with a 4xx and no upstream call
// (assertRequestContract). The committed corpus is in
// testdata/fuzz/FuzzRequestFromEvent.
func FuzzRequestFromEvent(f *testing.F) {
	for _, b := range sampleFiles(f) {
		f.Add(b)
		if ev, err := DecodeEvent(b); err == nil { // the bodies and Messages too
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
		if ev, err := DecodeEvent(data); err == nil && ev.Kind != KindEventBridge { // no request: FuzzCloudEvent
			evs = append(evs, ev)
		}
		for _, ev := range evs {
			assertRequestContract(t, ev)
			raw, err := RequestFromEvent(ev)
			if err != nil {
				assertRefusal(t, err)
				assertAnswerJSON(t, FailedAnswer(err, raw))
				continue
			}
			req, err := Validate(raw, "ap-guangzhou", 0)
			if err != nil {
				assertRefusal(t, err)
				assertAnswerJSON(t, FailedAnswer(err, raw))
				continue
			}
			assert.NotEmpty(t, req.InstanceIDs)
			assert.LessOrEqual(t, len(req.InstanceIDs), MaxInstanceIDs)
			assert.Equal(t, dedupe(req.InstanceIDs), req.InstanceIDs)
			for _, id := range req.InstanceIDs {
				assert.True(t, validInstanceID(id), id)
			}
			assert.GreaterOrEqual(t, req.ProjectID, int64(0))
			assert.True(t, validRegion(req.Region), req.Region)
		}
	})
}

// assertRefusal checks that an error is one the caller can fix: a 4xx with
// a message.
func assertRefusal(t *testing.T, err *Error) {
	t.Helper()
	status := HTTPStatus(err.Code)
	assert.True(t, status >= 400 && status < 500, "code %s maps to %d", err.Code, status)
	assert.NotEmpty(t, err.Message)
}

// assertAnswerJSON checks that an answer's JSON has no null list and
// survives the HTTP wrapping.
func assertAnswerJSON(t *testing.T, a Answer) {
	t.Helper()
	resp := HTTPResponse(a)
	var back map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &back))
	assert.Equal(t, typeArray, jsonType(back["InstanceIds"]))
	assert.Equal(t, typeArray, jsonType(back["Batches"]))
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
				ev, err := DecodeEvent(payload)
				if err != nil {
					b.Fatal(err)
				}
				raw, err := RequestFromEvent(ev)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Validate(raw, "ap-guangzhou", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

