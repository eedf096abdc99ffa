package request

import (
	"encoding/json"
	"testing"

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
			var w Wire
			require.NoError(t, json.Unmarshal([]byte(tt.json), &w))
			assert.Equal(t, tt.wantIDs, w.InstanceIds.List)
			assert.Equal(t, tt.wantSet, w.InstanceIds.Set)
			if tt.wantErr == "" {
				assert.Nil(t, w.InstanceIds.err)
				return
			}
			require.NotNil(t, w.InstanceIds.err)
			assert.Contains(t, w.InstanceIds.err.Message, tt.wantErr)
		})
	}
}

// Keys match in ASCII case only; a key given twice is read twice, the
// last standing; the first unknown key is the one refused.
func TestWireKeys(t *testing.T) {
	tests := []struct {
		name, json  string
		wantProject int64
		wantUnknown string
	}{
		{"any ASCII case", `{"projectid":7}`, 7, ""},
		{"twice: the last", `{"ProjectId":7,"PROJECTID":"8"}`, 8, ""},
		{"Unicode folding is not a match (K, the Kelvin sign)", `{"ProjectId":7,"S\u212aipInvalid":true}`, 7, "S\u212aipInvalid"},
		{"the first unknown", `{"DryRunn":true,"ProjectId":7,"x":1}`, 7, "DryRunn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w Wire
			require.NoError(t, json.Unmarshal([]byte(tt.json), &w))
			require.NotNil(t, w.ProjectId.ID)
			assert.Equal(t, tt.wantProject, *w.ProjectId.ID)
			if tt.wantUnknown == "" {
				assert.Nil(t, w.unknown)
				return
			}
			require.NotNil(t, w.unknown)
			assert.Equal(t, tt.wantUnknown, *w.unknown)
		})
	}
}
