package cvm

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestModifyInstancesAttributeParameters(t *testing.T) {
	a := ModifyInstancesAttribute{InstanceIds: []string{"ins-r8hr2upy", "ins-5d8a23rs"}, SecurityGroups: []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}}
	tests := []struct {
		name string
		base int
		want map[string]string
	}{
		{"legacy: from 1", 1, map[string]string{"InstanceIds.1": "ins-r8hr2upy", "InstanceIds.2": "ins-5d8a23rs", "SecurityGroups.1": "sg-aaaaaaaa", "SecurityGroups.2": "sg-bbbbbbbb"}},
		{"API 3.0 v1: from 0", 0, map[string]string{"InstanceIds.0": "ins-r8hr2upy", "InstanceIds.1": "ins-5d8a23rs", "SecurityGroups.0": "sg-aaaaaaaa", "SecurityGroups.1": "sg-bbbbbbbb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			a.PutV1Params(tt.base, func(k, v string) { got[k] = v })
			assert.Equal(t, tt.want, got)
		})
	}
	payload, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, `{"InstanceIds":["ins-r8hr2upy","ins-5d8a23rs"],"SecurityGroups":["sg-aaaaaaaa","sg-bbbbbbbb"]}`, string(payload), "the TC3 payload")
	assert.Equal(t, "ModifyInstancesAttribute", a.ActionName())
	assert.Equal(t, 2, a.Size())
}
