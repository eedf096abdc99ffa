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
	assert.Equal(t, []RuleCounts{
		{ProjectId: 1045, Project: "prod", Counts: Counts{Matched: 10, Compliant: 3, Moved: 2, Failed: 1, Conflicts: 1, Skipped: 2}},
		{ProjectId: 7, Counts: Counts{Matched: 1, Conflicts: 1}},
	}, c.Rules)
}

// Only a reconciliation has a compliance summary and regions; a fan-out's
// note is its message.
func TestBuildAccount(t *testing.T) {
	for _, tt := range []struct {
		name       string
		o          Outcome
		compliance bool
		message    string
	}{
		{"a move", Outcome{Project: "prod"}, false, ""},
		{"a reconciliation", Outcome{Reconciliation: true, Rules: []RuleReport{{Matched: 1}}}, true, ""},
		{"a fan-out", Outcome{Reconciliation: true, Note: "handed over"}, true, "handed over"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := Build(tt.o)
			assert.Equal(t, tt.compliance, a.Compliance != nil)
			assert.Equal(t, tt.compliance, a.Regions != nil)
			assert.Equal(t, tt.message, a.Message)
			assert.Equal(t, tt.o.Project, a.Project)
		})
	}
}
