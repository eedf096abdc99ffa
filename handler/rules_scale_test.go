package handler

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
)

// eventNaming is an EventBridge event whose data lists ids.
func eventNaming(t *testing.T, ids []string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"specversion": "1.0", "id": "e1", "type": "cvm:ErrorEvent", "source": "cvm.cloud.tencent",
		"region": "ap-guangzhou", "data": map[string]any{"InstanceIdSet": ids}})
	require.NoError(t, err)
	return string(b)
}

// With SkipInvalid, one instance bound to a load balancer among 300 that
// the rules move: the 299 others move, and Failed names exactly the one
// that did not, with its own code, on its rule and at the top, with the
// isolation call it cost.
func TestARuleRunNamesTheInstanceThatDidNotMove(t *testing.T) {
	prod := fleet("p", 300, 0, "env=prod")
	lb := prod[149].ID
	all := make([]string, len(prod))
	for i, in := range prod {
		all[i] = in.ID
	}
	for _, tt := range []struct {
		name    string
		payload string
	}{
		{"a reconciliation", `{"Reconcile":true}`},
		{"an EventBridge event", eventNaming(t, all)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFleet(prod)
			f.failModify = func(a cvm.ModifyInstancesProject) (cvm.Result, error, bool) {
				if slices.Contains(a.InstanceIds, lb) {
					return cvm.Result{RequestID: "req-lb"}, &cvm.APIError{RequestID: "req-lb", Code: answer.CodeInstanceNotSupported, Message: fmt.Sprintf("The instance [%q] is bound to a load balancer.", lb)}, true
				}
				return cvm.Result{}, nil, false
			}
			h := ruleHandler(f, envProd, teamAny)
			h.SkipInvalid = true
			a := invoke(t, h, tt.payload)

			want := []answer.Failure{{InstanceId: lb, Code: answer.CodeInstanceNotSupported, Message: fmt.Sprintf("The instance [%q] is bound to a load balancer.", lb)}}
			assert.Equal(t, answer.CodePartialSuccess, a.Code, a.Message)
			assert.EqualValues(t, want, a.Failed, "the top-level Failed names it")
			assert.Equal(t, 1, a.IsolationCalls)
			r := a.Rules[0]
			assert.EqualValues(t, want, r.Failed, "the rule's Failed names exactly it")
			assert.Len(t, r.Moved, 299)
			assert.NotContains(t, r.Moved, lb)
			checkReports(t, a)
			for _, in := range prod {
				if in.ID != lb {
					require.EqualValues(t, 1045, f.project(in.ID), in.ID)
				}
			}
			assert.EqualValues(t, 0, f.project(lb))
		})
	}
}

// MAX_INSTANCES bounds tag rules as it bounds a named move: a rule run that
// would move more than the cap moves nothing and is refused with the
// count; a dry run still shows the whole plan.
func TestMaxInstancesBoundsRuleRuns(t *testing.T) {
	prod := fleet("p", 300, 0, "env=prod")
	all := make([]string, len(prod))
	for i, in := range prod {
		all[i] = in.ID
	}
	tests := []struct {
		name        string
		payload     string
		wantCode    string
		wantMessage string
		wantMoved   int // in the report: moved, or in a dry run to move
	}{
		{"a reconciliation by the request's rules", `{"Rules":[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045}]}`,
			answer.CodeLimitExceeded, "the rules would move 300 instances; at most 50 are allowed in one invocation (MAX_INSTANCES), so nothing was moved", 0},
		{"a reconciliation by the configured rules", `{"Reconcile":true}`,
			answer.CodeLimitExceeded, "the rules would move 300 instances; at most 50 are allowed in one invocation (MAX_INSTANCES), so nothing was moved", 0},
		{"an EventBridge event naming 300", eventNaming(t, all),
			answer.CodeLimitExceeded, "the event names 300 instances; at most 50 are allowed in one invocation (MAX_INSTANCES)", 0},
		{"named instances", `{"InstanceIds":` + mustJSON(t, all) + `}`,
			answer.CodeLimitExceeded, "InstanceIds holds 300 distinct ids; at most 50 are allowed in one request", 0},
		{"a dry run shows the whole plan", `{"Reconcile":true,"DryRun":true}`,
			answer.CodeSuccess, "dry run: 300 instances would move; nothing was moved", 300},
		{"under the cap", `{"Rules":[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045}],"InstanceIds":` + mustJSON(t, all[:50]) + `}`,
			answer.CodeSuccess, "", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFleet(prod)
			h := ruleHandler(f, envProd, teamAny)
			h.Security.MaxInstances = 50
			a := invoke(t, h, tt.payload)
			assert.Equal(t, tt.wantCode, a.Code, a.Message)
			assert.Equal(t, tt.wantMessage, a.Message)
			_, modifies := f.actions()
			if tt.wantCode != answer.CodeSuccess || tt.wantMoved == 300 {
				assert.Empty(t, modifies, "nothing moved")
				assert.Empty(t, a.Batches)
			}
			if len(a.Rules) > 0 {
				assert.Len(t, a.Rules[0].Moved, tt.wantMoved)
				if tt.wantCode == answer.CodeLimitExceeded {
					assert.Equal(t, 300, a.Rules[0].Matched, "the listing is reported")
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
