package request

import (
	"encoding/json"
	"testing"

	"scf-cvm-project/handler/answer"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNearest(t *testing.T) {
	for k, want := range map[string]string{
		"dry_run": "DryRun", "DryRunn": "DryRun", "instance_ids": "InstanceIds", "projectid_": "ProjectId",
		"region": "Region", "skip-invalid": "SkipInvalid", "rule": "Rules", "reconcil": "Reconcile", "async": "Async",
		"InstanceId": "InstanceIds", "Projectid": "ProjectId", "Projct": "Project", "region_list": "Regions",
	} {
		assert.Equal(t, want, Nearest(k, Keys), k)
	}
}

// Keys match in ASCII case only; the first unknown key is the one refused,
// and a key given again with a different value is the twin.
func TestCheckObjectKeys(t *testing.T) {
	tests := []struct {
		name, json string
		known      []string
		twin       string // the key refused as given twice; "" when none
		unknown    string // the key named by the refusal; "" when none
	}{
		{"any ASCII case", `{"instanceIDS":[],"PROJECTID":1,"async":true}`, Keys, "", ""},
		{"escapes", `{"\u0041sync":false}`, Keys, "", ""},
		{"the first unknown", `{"InstanceIds":1,"dry_run":true,"x":1}`, Keys, "", "dry_run"},
		{"Unicode folding is not a match (K, the Kelvin sign)", `{"Ta\u212a":1}`, []string{"Tak"}, "", "Ta\u212a"},
		{"twice, the same value", `{"DryRun":true,"dryrun": true}`, Keys, "", ""},
		{"twice, different values", `{"DryRun":true,"ProjectId":1,"dryrun":false,"DRYRUN":true}`, Keys, "dryrun", ""},
		{"an unknown key after a twin", `{"DryRun":true,"dryrun":false,"x":1}`, Keys, "", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckObjectKeys("the body", []byte(tt.json), tt.known)
			if tt.twin != "" {
				require.NotNil(t, err)
				assert.Equal(t, "InvalidParameterValue", err.Code)
				assert.Equal(t, tt.twin+" is given 2 different values in the body; give it once", err.Message)
				return
			}
			if tt.unknown == "" {
				require.Nil(t, err)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, "UnknownParameter", err.Code)
			var want string
			require.NoError(t, json.Unmarshal([]byte(`"`+tt.unknown+`"`), &want))
			assert.Contains(t, err.Message, "the body has the unknown parameter "+answer.Quote(want)+"; did you mean ")
		})
	}
	_, err := CheckObjectKeys("the body", []byte(`{"InstanceIds":[],"dry_run":true}`), Keys)
	require.NotNil(t, err)
	assert.Contains(t, err.Message, `the body has the unknown parameter "dry_run"; did you mean "DryRun"?`)
}
