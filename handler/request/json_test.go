package request

import (
	"encoding/json"
	"testing"

	"scf-cvm-project/handler/answer"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each lenient value type reads what it accepts with encoding/json and
// keeps its refusal, so that the other keys are still read.
func TestValueTypes(t *testing.T) {
	tests := []struct {
		name, json string
		wantIDs    []string
		wantSet    bool
		wantErr    string
	}{
		{"an array", `{"InstanceIds":["ins-00000001","ins-00000002"]}`, []string{"ins-00000001", "ins-00000002"}, true, ""},
		{"escapes", `{"InstanceIds":["ins-0000000\u0031"]}`, []string{"ins-00000001"}, true, ""},
		{"a list in a string", `{"InstanceIds":" ins-00000001, ,ins-00000002 "}`, []string{"ins-00000001", "ins-00000002"}, true, ""},
		{"null", `{"InstanceIds":null}`, nil, false, ""},
		{"an empty string kept, for Validate to judge", `{"InstanceIds":["","ins-00000001"]}`, []string{"", "ins-00000001"}, true, ""},
		{"a null element", `{"InstanceIds":["ins-00000001",null]}`, []string{"ins-00000001"}, true, "element 1 is null"},
		{"a number element", `{"InstanceIds":["ins-00000001",7]}`, []string{"ins-00000001"}, true, "element 1 is a number"},
		{"an object", `{"InstanceIds":{}}`, nil, true, "got an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := FromJSON("the body", []byte(tt.json))
			assert.Equal(t, tt.wantIDs, raw.InstanceIDs)
			assert.Equal(t, tt.wantSet, raw.HasInstanceIDs)
			if tt.wantErr == "" {
				assert.Nil(t, err)
				return
			}
			require.NotNil(t, err)
			assert.Contains(t, err.Message, tt.wantErr)
		})
	}
}

// A JSON request's keys match in any ASCII case, by encoding/json; only a
// key given twice with the same value is read twice; the first unknown key
// is the one refused, and Unicode folding does not make a key known.
func TestFromJSONKeys(t *testing.T) {
	tests := []struct {
		name, json  string
		wantProject int64
		wantErr     string
	}{
		{"any ASCII case", `{"projectid":7}`, 7, ""},
		{"twice, the same value", `{"ProjectId":7,"PROJECTID": 7}`, 7, ""},
		{"twice, different values", `{"ProjectId":7,"PROJECTID":"7"}`, 0, `PROJECTID is given 2 different values in the body; give it once`},
		{"Unicode folding is not a match (K, the Kelvin sign)", `{"ProjectId":7,"S\u212aipInvalid":true}`, 0, "the body has the unknown parameter \"S\u212aipInvalid\""},
		{"the first unknown", `{"DryRunn":true,"ProjectId":7,"x":1}`, 0, `the body has the unknown parameter "DryRunn"; did you mean "DryRun"?`},
		{"not JSON after an unknown key", `{"x":1,"ProjectId":}`, 0, `the body is not valid JSON: invalid character '}' looking for beginning of value (at byte 20)`},
		{"a second value after the object", `{"ProjectId":7} {}`, 0, `the body is not valid JSON: invalid character '{' after top-level value (at byte 17)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := FromJSON("the body", []byte(tt.json))
			if tt.wantErr == "" {
				require.Nil(t, err)
				require.NotNil(t, raw.ProjectID)
				assert.Equal(t, tt.wantProject, *raw.ProjectID)
				return
			}
			require.NotNil(t, err)
			assert.Contains(t, err.Message, tt.wantErr)
			assert.Equal(t, Raw{}, raw)
		})
	}
}

// Every flag of a request is read by the same lenient reader: a JSON
// boolean, or a string that says true or false (as strconv.ParseBool reads
// it); anything else is refused, naming the flag.
func TestEveryFlagIsReadAlike(t *testing.T) {
	flags := map[string]func(Raw) *bool{
		"DryRun":      func(r Raw) *bool { return r.DryRun },
		"SkipInvalid": func(r Raw) *bool { return r.SkipInvalid },
		"Reconcile":   func(r Raw) *bool { b := r.Reconcile; return &b },
		"Async":       func(r Raw) *bool { b := r.Async; return &b },
	}
	for name, get := range flags {
		for _, c := range []struct {
			value string
			want  bool
		}{
			{`true`, true}, {`false`, false}, {`"true"`, true}, {`"false"`, false},
			{`"TRUE"`, true}, {`"1"`, true}, {`"0"`, false}, {`" true "`, true},
		} {
			t.Run(name+"="+c.value, func(t *testing.T) {
				raw, err := FromJSON("the body", []byte(`{"`+name+`":`+c.value+`}`))
				require.Nil(t, err)
				require.NotNil(t, get(raw))
				assert.Equal(t, c.want, *get(raw))
			})
		}
		for _, bad := range []string{`"yes"`, `1`, `[]`, `{}`, `""`} {
			t.Run(name+"="+bad, func(t *testing.T) {
				_, err := FromJSON("the body", []byte(`{"`+name+`":`+bad+`}`))
				require.NotNil(t, err)
				assert.Equal(t, answer.CodeInvalidParameterValue, err.Code)
				assert.Contains(t, err.Message, name+" must be true or false")
			})
		}
	}
}

// Each key of Keys is read into its own part of Raw, and only into it.
func TestFromJSONReadsEachKey(t *testing.T) {
	id, yes := int64(7), true
	tests := map[string]struct {
		value string
		want  Raw
	}{
		"InstanceIds": {`["ins-00000001"]`, Raw{InstanceIDs: []string{"ins-00000001"}, HasInstanceIDs: true}},
		"ProjectId":   {`7`, Raw{ProjectID: &id, HasProjectID: true}},
		"Region":      {`"ap-guangzhou"`, Raw{Region: "ap-guangzhou"}},
		"DryRun":      {`true`, Raw{DryRun: &yes}},
		"SkipInvalid": {`true`, Raw{SkipInvalid: &yes}},
		"Rules":       {`[]`, Raw{Rules: json.RawMessage(`[]`)}},
		"Reconcile":   {`true`, Raw{Reconcile: true}},
		"Async":       {`true`, Raw{Async: true}},
		"Regions":     {`"*"`, Raw{Regions: json.RawMessage(`"*"`)}},
		"Project":     {`"prod"`, Raw{ProjectName: json.RawMessage(`"prod"`)}},
	}
	require.Len(t, tests, len(Keys))
	for _, k := range Keys {
		tt, ok := tests[k]
		require.True(t, ok, k)
		raw, err := FromJSON("the body", []byte(`{"`+k+`":`+tt.value+`}`))
		require.Nil(t, err, k)
		assert.Equal(t, tt.want, raw, k)
	}
}
