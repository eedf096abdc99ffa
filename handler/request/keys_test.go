package request

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObjectKeys(t *testing.T) {
	tests := []struct {
		json string
		want []string
	}{
		{`{}`, nil},
		{` { "a" : 1 , "b":[1,{"c":"}"}], "d\"e":"x,}", "f":{"g":{}} ,"h":null,"i":true} `, []string{"a", "b", `d"e`, "f", "h", "i"}},
		{`{"\u0041sync":false}`, []string{"Async"}},
		{`{"a":"\\","b":-1.5e3}`, []string{"a", "b"}},
	}
	for _, tt := range tests {
		got, err := ObjectKeys([]byte(tt.json))
		require.NoError(t, err, tt.json)
		assert.Equal(t, tt.want, got, tt.json)
	}
}

func TestNearest(t *testing.T) {
	for k, want := range map[string]string{
		"dry_run": "DryRun", "DryRunn": "DryRun", "instance_ids": "InstanceIds", "projectid_": "ProjectId",
		"region": "Region", "skip-invalid": "SkipInvalid", "rule": "Rules", "reconcil": "Reconcile", "async": "Async",
		"InstanceId": "InstanceIds", "Projectid": "ProjectId", "Projct": "Project", "region_list": "Regions",
	} {
		assert.Equal(t, want, Nearest(k, Keys), k)
	}
}

func TestCheckKeys(t *testing.T) {
	assert.Nil(t, CheckKeys("the body", []string{"instanceIDS", "PROJECTID", "async"}, Keys))
	err := CheckKeys("the body", []string{"InstanceIds", "dry_run"}, Keys)
	require.NotNil(t, err)
	assert.Equal(t, "UnknownParameter", err.Code)
	assert.Contains(t, err.Message, `the body has the unknown parameter "dry_run"; did you mean "DryRun"?`)
	// Only ASCII case folds: K (Kelvin sign) is not k.
	assert.NotNil(t, CheckKeys("the body", []string{"Ta\u212a"}, []string{"Tak"}))
}
