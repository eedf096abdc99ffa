package guard

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler/answer"
)

// AllowProject says no rule (rules.AllowProjects names the rule).
func TestAllowProjectNamesNoRule(t *testing.T) {
	assert.Nil(t, Security{}.AllowProject(7), "no allow-list: any project")
	err := Security{AllowedProjectIDs: []int64{1045}}.AllowProject(7)
	require.NotNil(t, err)
	assert.Equal(t, answer.CodeProjectNotAllowed, err.Code)
	assert.Equal(t, "the function may not move instances into project 7; it may into 1045", err.Message)
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		authorization, token string
		ok                   bool
	}{
		{"Bearer " + testToken, testToken, true},
		{"bearer " + testToken, testToken, true},
		{"  BEARER   " + testToken + "  ", testToken, true},
		{"Bearer ", "", false},
		{"Bearer", "", false},
		{"Basic " + testToken, "", false},
		{testToken, "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		token, ok := BearerToken(tt.authorization)
		assert.Equal(t, tt.ok, ok, "%q", tt.authorization)
		assert.Equal(t, tt.token, token, "%q", tt.authorization)
	}
}
