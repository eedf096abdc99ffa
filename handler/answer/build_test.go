package answer

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Success only when every named instance ended in the project.
func TestBuildWithVerification(t *testing.T) {
	opFailed := Failure{InstanceId: "ins-00000002", Code: CodeOperationFailed, Message: "ended FAILED"}
	moved := Batch{RequestId: "r1", Code: CodeSuccess, InstanceIds: ids(1, 3)}
	tests := []struct {
		name         string
		named        []string
		batches      []Batch
		notFound     []string
		v            *Verification
		dryRun       bool
		wantCode     string
		wantVerified bool
		wantStatus   int
	}{
		{"all confirmed", ids(1, 3), []Batch{moved}, nil, &Verification{Confirmed: 3}, false, CodeSuccess, true, http.StatusOK},
		{"already there: nothing sent", ids(1, 3), nil, nil, &Verification{AlreadyInProject: ids(1, 3)}, false, CodeSuccess, true, http.StatusOK},
		{"one operation ended FAILED", ids(1, 3), []Batch{moved}, nil, &Verification{Confirmed: 2, Failed: []Failure{opFailed}}, false, CodePartialSuccess, true, http.StatusMultiStatus},
		{"the only one FAILED", ids(2, 2), []Batch{{RequestId: "r1", Code: CodeSuccess}}, nil, &Verification{Failed: []Failure{opFailed}}, false, CodeOperationFailed, true, http.StatusBadGateway},
		{"one still OPERATING", ids(1, 3), []Batch{moved}, nil, &Verification{Confirmed: 2, Pending: ids(3, 3)}, false, CodeOperationPending, false, http.StatusAccepted},
		{"pending wins over FAILED", ids(1, 3), []Batch{moved}, nil, &Verification{Confirmed: 1, Pending: ids(3, 3), Failed: []Failure{opFailed}}, false, CodeOperationPending, false, http.StatusAccepted},
		{"none exists", ids(8, 8), nil, ids(8, 8), &Verification{}, false, CodeInstanceNotFound, true, http.StatusNotFound},
		{"some exist", ids(1, 2), []Batch{moved}, ids(2, 2), &Verification{Confirmed: 1}, false, CodePartialSuccess, true, http.StatusMultiStatus},
		{"not found from the pre-read", ids(1, 2), []Batch{moved}, nil, &Verification{Confirmed: 1, NotFound: ids(2, 2)}, false, CodePartialSuccess, true, http.StatusMultiStatus},
		{"not verified: no permission", ids(1, 3), []Batch{moved}, nil, &Verification{Unverified: "DescribeInstances refused"}, false, CodeSuccess, false, http.StatusOK},
		{"VERIFY=false: as before, not verified", ids(1, 3), []Batch{moved}, nil, nil, false, CodeSuccess, false, http.StatusOK},
		{"a failed batch keeps its code", ids(1, 3), []Batch{{RequestId: "r1", Code: "AuthFailure.SignatureFailure"}}, nil, &Verification{}, false, "AuthFailure.SignatureFailure", true, http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := int64(7)
			a := Build(Outcome{ProjectId: &project, InstanceIds: tt.named, Batches: tt.batches, NotFound: tt.notFound, FirstRequestID: "r0", Verification: tt.v})
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			assert.Equal(t, tt.wantVerified, a.Verified)
			assert.Equal(t, tt.wantStatus, HTTPStatus(a.Code))
			if tt.v != nil {
				assert.Equal(t, tt.v.Unverified, a.NotVerified)
				assert.Len(t, a.Failed, len(tt.v.Failed))
			}
		})
	}
}

func TestVerificationJSON(t *testing.T) {
	a := Build(Outcome{InstanceIds: ids(1, 1), Batches: []Batch{{RequestId: "r1", Code: CodeSuccess, InstanceIds: ids(1, 1)}}, Verification: &Verification{
		Confirmed:      1,
		SecurityGroups: []SecurityGroupChange{{InstanceId: "ins-00000001", Before: []string{"sg-aaaaaaaa"}, After: []string{}, Restored: true}, {InstanceId: "ins-00000002", Before: []string{}}},
	}})
	b, err := json.Marshal(a)
	require.NoError(t, err)
	var back map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &back))
	assert.JSONEq(t, `true`, string(back["Verified"]))
	assert.JSONEq(t, `[]`, string(back["Pending"]))
	assert.JSONEq(t, `[]`, string(back["AlreadyInProject"]))
	assert.JSONEq(t, `[{"InstanceId":"ins-00000001","Before":["sg-aaaaaaaa"],"After":[],"Restored":true},{"InstanceId":"ins-00000002","Before":[],"After":null,"Restored":false}]`, string(back["SecurityGroups"]))
	assert.NotContains(t, back, "NotVerified", "said only when not verified")
}

// A dry run in which every instance is already in the project is still a
// dry run.
func TestADryRunWithNothingToMove(t *testing.T) {
	a := Build(Outcome{InstanceIds: ids(1, 2), DryRun: &DryRun{}, FirstRequestID: "r0", Verification: &Verification{AlreadyInProject: ids(1, 2)}})
	assert.Equal(t, CodeDryRun, a.Code)
	assert.Equal(t, "dry run: nothing would move: 2 instances already in the project, none signed or sent", a.Message)
	assert.False(t, a.Verified)
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
			assert.Equal(t, tt.message, a.Message)
			assert.Equal(t, tt.o.Project, a.Project)
		})
	}
}
