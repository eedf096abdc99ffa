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
			f.failModify = func(a cvm.ModifyInstancesProject) (cvm.Result, bool) {
				if slices.Contains(a.InstanceIds, lb) {
					return cvm.Result{RequestID: "req-lb", Code: answer.CodeInstanceNotSupported, Message: fmt.Sprintf("The instance [%q] is bound to a load balancer.", lb)}, true
				}
				return cvm.Result{}, false
			}
			h := ruleHandler(f, envProd, teamAny)
			h.SkipInvalid = true
			a := invoke(t, h, tt.payload)

			want := []answer.Failure{{InstanceId: lb, Code: answer.CodeInstanceNotSupported, Message: fmt.Sprintf("The instance [%q] is bound to a load balancer.", lb)}}
			assert.Equal(t, answer.CodePartialSuccess, a.Code, a.Message)
			assert.Equal(t, want, a.Failed, "the top-level Failed names it")
			assert.Equal(t, 1, a.IsolationCalls)
			r := a.Rules[0]
			assert.Equal(t, want, r.Failed, "the rule's Failed names exactly it")
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
