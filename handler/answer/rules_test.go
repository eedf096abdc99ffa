package answer

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"scf-cvm-project/cvm/batch"
)

func TestComplianceOf(t *testing.T) {
	reports := []RuleReport{
		{ProjectId: 1045, Project: "prod", Matched: 10, AlreadyInProject: 3, Moved: []string{"ins-1", "ins-2"}, Conflicts: []string{"ins-9"},
			Failed: []Failure{
				{InstanceId: "ins-3", Code: "InternalServerError"},
				{InstanceId: "ins-4", Code: batch.CodeBusy},
				{InstanceId: "ins-5", Code: batch.CodeStateIsolating},
				{InstanceId: "", Code: "InternalError"}, // a listing: no instance
			}},
		{ProjectId: 7, Matched: 1, Conflicts: []string{"ins-9"}},
	}
	c := ComplianceOf(reports)
	assert.Equal(t, Counts{Matched: 11, Compliant: 3, Moved: 2, Failed: 1, Conflicts: 2, Skipped: 2}, c.Counts)
	assert.EqualValues(t, []RuleCounts{
		{ProjectId: 1045, Project: "prod", Counts: Counts{Matched: 10, Compliant: 3, Moved: 2, Failed: 1, Conflicts: 1, Skipped: 2}},
		{ProjectId: 7, Counts: Counts{Matched: 1, Conflicts: 1}},
	}, c.Rules)
}
