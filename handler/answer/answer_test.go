package answer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	ok := func(id string) Batch { return Batch{RequestId: id, Code: CodeSuccess, Message: "ignored on success"} }
	bad := func(id, code string) Batch { return Batch{RequestId: id, Code: code, Message: id + " failed"} }
	tests := []struct {
		name    string
		batches []Batch
		want    [3]string // RequestId, Code, Message
	}{
		{"one success", []Batch{ok("r1")}, [3]string{"r1", CodeSuccess, ""}},
		{"all succeed: the first", []Batch{ok("r1"), ok("r2")}, [3]string{"r1", CodeSuccess, ""}},
		{"the only failure", []Batch{ok("r1"), bad("r2", "InvalidInstanceId.NotFound")}, [3]string{"r2", "InvalidInstanceId.NotFound", "r2 failed"}},
		{"the first failure", []Batch{ok("r1"), bad("r2", "AuthFailure.SignatureFailure"), bad("r3", "InvalidInstanceId.NotFound")},
			[3]string{"r2", "AuthFailure.SignatureFailure", "r2 failed"}},
		{"a failure a retry can fix wins over an earlier one", []Batch{ok("r1"), bad("r2", "AuthFailure.SignatureFailure"), bad("r3", "InternalServerError"), bad("r4", CodeRequestLimitExceeded)},
			[3]string{"r3", "InternalServerError", "r3 failed"}},
		{"the deadline before any other failure, with the batches done", []Batch{ok("r1"), bad("r2", "AuthFailure.SignatureFailure"), bad("r3", CodeDeadlineExceeded), bad("", CodeDeadlineExceeded)},
			[3]string{"r3", CodeDeadlineExceeded, "the invocation's deadline ran out with 1 of 4 batches done (see Batches): r3 failed"}},
		{"a failure first", []Batch{bad("r1", CodeUpstreamUnreachable), ok("r2")}, [3]string{"r1", CodeUpstreamUnreachable, "r1 failed"}},
		{"a batch without a code is not a success", []Batch{ok("r1"), {RequestId: "r2"}}, [3]string{"r2", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Answer{RequestId: "old", Code: "old", Message: "old", Batches: tt.batches}
			a.summarize()
			assert.Equal(t, tt.want, [3]string{a.RequestId, a.Code, a.Message})
		})
	}
	t.Run("isolated instances", func(t *testing.T) {
		partial := Batch{RequestId: "r1", Code: CodePartialSuccess, Message: "moved 99 of 100", Isolated: true}
		noneMoved := Batch{RequestId: "r2", Code: "InvalidInstanceId.NotFound", Message: "r2 refused", Isolated: true}
		tests := []struct {
			name    string
			batches []Batch
			ids     int
			failed  int
			want    [3]string
		}{
			{"some moved", []Batch{partial, ok("r3")}, 150, 1, [3]string{"r1", CodePartialSuccess, "moved 149 of 150 instances; 1 failed (see Failed)"}},
			{"some moved in another batch", []Batch{noneMoved, ok("r3")}, 101, 1, [3]string{"r2", CodePartialSuccess, "moved 100 of 101 instances; 1 failed (see Failed)"}},
			{"none moved: the first offending code", []Batch{noneMoved}, 2, 2, [3]string{"r2", "InvalidInstanceId.NotFound", "r2 refused"}},
			{"a batch failed as a whole comes first", []Batch{partial, bad("r4", "AuthFailure.SignatureFailure")}, 200, 1, [3]string{"r4", "AuthFailure.SignatureFailure", "r4 failed"}},
			{"the deadline comes first", []Batch{partial, bad("", CodeDeadlineExceeded)}, 200, 1,
				[3]string{"", CodeDeadlineExceeded, "the invocation's deadline ran out with 1 of 2 batches done (see Batches):  failed"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := Answer{Batches: tt.batches, InstanceIds: make([]string, tt.ids), Failed: make([]Failure, tt.failed)}
				a.summarize()
				assert.Equal(t, tt.want, [3]string{a.RequestId, a.Code, a.Message})
			})
		}
	})
}

// The answer's JSON, as Build leaves it, never holds a null
// list, and ProjectId is null only when it could not be parsed.
func TestAnswerJSON(t *testing.T) {
	tests := []struct {
		name   string
		answer Answer
		want   string
	}{
		{"zero", Answer{},
			`{"RequestId":"","Code":"","Message":"","ProjectId":null,"InstanceIds":[],"Batches":[],"Failed":[],"IsolationCalls":0,"Rules":[],"NotFound":[],"Verified":false,"AlreadyInProject":[],"Pending":[],"SecurityGroups":[]}`},
		{"full", Answer{RequestId: "r1", Code: CodeSuccess, ProjectId: ptr(1045), InstanceIds: ids(1, 2),
			Batches: []Batch{{RequestId: "r1", Code: CodeSuccess, InstanceIds: ids(1, 2)}}},
			`{"RequestId":"r1","Code":"Success","Message":"","ProjectId":1045,"InstanceIds":["ins-00000001","ins-00000002"],"Batches":[{"RequestId":"r1","Code":"Success","Message":"","InstanceIds":["ins-00000001","ins-00000002"],"Attempts":0}],"Failed":[],"IsolationCalls":0,"Rules":[],"NotFound":[],"Verified":false,"AlreadyInProject":[],"Pending":[],"SecurityGroups":[]}`},
		{"a rule run", Answer{Code: CodeSuccess, Rules: []RuleReport{{Tag: RuleTag{Key: "team"}, ProjectId: 7}, {Tag: RuleTag{Key: "env", Value: strPtr("prod")}, ProjectId: 1045, Matched: 3, AlreadyInProject: 1,
			Moved: ids(1, 1), Conflicts: ids(2, 2), Failed: []Failure{{InstanceId: "", Code: "InternalServerError", Message: "m"}}, RequestIds: []string{"r1"}}}, NotFound: ids(9, 9)},
			`{"RequestId":"","Code":"Success","Message":"","ProjectId":null,"InstanceIds":[],"Batches":[],"Failed":[],"IsolationCalls":0,"Rules":[` +
				`{"Tag":{"Key":"team"},"ProjectId":7,"Matched":0,"AlreadyInProject":0,"Moved":[],"Conflicts":[],"Failed":[],"RequestIds":[]},` +
				`{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045,"Matched":3,"AlreadyInProject":1,"Moved":["ins-00000001"],"Conflicts":["ins-00000002"],"Failed":[{"InstanceId":"","Code":"InternalServerError","Message":"m"}],"RequestIds":["r1"]}` +
				`],"NotFound":["ins-00000009"],"Verified":false,"AlreadyInProject":[],"Pending":[],"SecurityGroups":[]}`},
		{"partial", Answer{RequestId: "r1", Code: CodePartialSuccess, ProjectId: ptr(1045), InstanceIds: ids(1, 2),
			Batches: []Batch{{RequestId: "r1", Code: CodePartialSuccess, InstanceIds: ids(1, 2), Attempts: 2, Isolated: true}},
			Failed:  []Failure{{InstanceId: "ins-00000002", Code: "InvalidInstanceId.NotFound", Message: "m"}}, IsolationCalls: 1},
			`{"RequestId":"r1","Code":"PartialSuccess","Message":"","ProjectId":1045,"InstanceIds":["ins-00000001","ins-00000002"],` +
				`"Batches":[{"RequestId":"r1","Code":"PartialSuccess","Message":"","InstanceIds":["ins-00000001","ins-00000002"],"Attempts":2}],` +
				`"Failed":[{"InstanceId":"ins-00000002","Code":"InvalidInstanceId.NotFound","Message":"m"}],"IsolationCalls":1,"Rules":[],"NotFound":[],"Verified":false,"AlreadyInProject":[],"Pending":[],"SecurityGroups":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []any{tt.answer, &tt.answer} { // by value and by pointer alike
				b, err := json.Marshal(v)
				require.NoError(t, err)
				assert.JSONEq(t, tt.want, string(b))
			}
		})
	}
}

func TestHTTPResponse(t *testing.T) {
	const jsonOnly = `{"Content-Type":"application/json"}`
	tests := []struct {
		name    string
		answer  Answer
		status  int
		headers string
	}{
		{"success", Answer{RequestId: "r1", Code: CodeSuccess, ProjectId: ptr(1045), InstanceIds: ids(1, 1),
			Batches: []Batch{{RequestId: "r1", Code: CodeSuccess, InstanceIds: ids(1, 1)}}}, http.StatusOK, jsonOnly},
		{"a refusal", Failed(&Error{Code: CodeInstanceIDMalformed, Message: `InstanceIds holds "i-1" <&>`}, []string{"i-1"}, nil), http.StatusBadRequest, jsonOnly},
		{"an upstream failure", Answer{Code: "AuthFailure.SignatureFailure"}, http.StatusBadGateway, jsonOnly},
		{"no valid token", Failed(&Error{Code: CodeUnauthenticated, Message: "a valid bearer token is required"}, nil, nil), http.StatusUnauthorized,
			`{"Content-Type":"application/json","WWW-Authenticate":"Bearer"}`},
		{"a partial success", Answer{RequestId: "r1", Code: CodePartialSuccess, ProjectId: ptr(1045), InstanceIds: ids(1, 2),
			Batches: []Batch{{RequestId: "r1", Code: CodePartialSuccess, InstanceIds: ids(1, 2), Attempts: 1}},
			Failed:  []Failure{{InstanceId: "ins-00000002", Code: "InvalidInstanceId.NotFound", Message: "m"}}, IsolationCalls: 1}, http.StatusMultiStatus, jsonOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := HTTPResponse(tt.answer)
			b, err := json.Marshal(resp)
			require.NoError(t, err)

			var outer map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(b, &outer))
			assert.ElementsMatch(t, []string{"isBase64Encoded", "statusCode", "headers", "body"}, keys(outer))
			assert.JSONEq(t, `false`, string(outer["isBase64Encoded"]))
			assert.JSONEq(t, tt.headers, string(outer["headers"]))
			assert.Equal(t, tt.status, resp.StatusCode)

			var back Answer
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &back))
			want := tt.answer
			if want.InstanceIds == nil {
				want.InstanceIds = []string{}
			}
			if want.Batches == nil {
				want.Batches = []Batch{}
			}
			want.Rules, want.NotFound = []RuleReport{}, []string{}
			want.AlreadyInProject, want.Pending, want.SecurityGroups = []string{}, []string{}, []SecurityGroupChange{}
			if want.Failed == nil {
				want.Failed = []Failure{}
			}
			assert.Equal(t, want, back, "the body round-trips")
		})
	}
}

func TestFailed(t *testing.T) {
	named, project := []string{"ins-00000001", "bad", "ins-00000001"}, ptr(-3)
	a := Failed(&Error{Code: CodeInstanceIDMalformed, Message: `InstanceIds holds the malformed id "bad"`}, named, project)
	assert.Equal(t, Answer{
		Code:        CodeInstanceIDMalformed,
		Message:     `InstanceIds holds the malformed id "bad"`,
		ProjectId:   ptr(-3),
		InstanceIds: []string{"ins-00000001", "bad", "ins-00000001"},
	}, a, "what was parsed is echoed as given")

	named[0], *project = "changed", 9
	assert.Equal(t, "ins-00000001", a.InstanceIds[0], "the answer does not share the request's memory")
	assert.Equal(t, int64(-3), *a.ProjectId)

	a = Failed(&Error{Code: CodeInvalidParameter, Message: "m"}, nil, nil)
	b, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, `{"RequestId":"","Code":"InvalidParameter","Message":"m","ProjectId":null,"InstanceIds":[],"Batches":[],"Failed":[],"IsolationCalls":0,"Rules":[],"NotFound":[],"Verified":false,"AlreadyInProject":[],"Pending":[],"SecurityGroups":[]}`, string(b))

	a = Failed(nil, nil, nil)
	assert.Equal(t, CodeInternalError, a.Code)
	assert.NotEmpty(t, a.Message)
}

// Build leaves no list null in the JSON, whatever the outcome held.
func TestBuildLeavesNoNilList(t *testing.T) {
	for _, o := range []Outcome{{ProjectId: ptr(0)}, {ProjectId: ptr(0), Reconciliation: true, Verification: &Verification{}},
		{ProjectId: ptr(0), Batches: []Batch{{Code: CodeSuccess}}, Rules: []RuleReport{{}},
			Verification: &Verification{SecurityGroups: []SecurityGroupChange{{InstanceId: "ins-00000001", After: []string{}}}}}} {
		b, err := json.Marshal(Build(o))
		require.NoError(t, err)
		assert.NotContains(t, string(b), "null", "%s", b)
	}
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
func ptr(n int64) *int64 { return &n }

// ids returns ins-<from> to ins-<to>, 8 digits each.
func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-%08d", i))
	}
	return out
}
func strPtr(s string) *string { return &s }
