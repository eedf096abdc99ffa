package trigger

import (
	"slices"
	"testing"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/rules"

	"github.com/stretchr/testify/assert"
)

// contractRegion is the function's region in the contract, as in the
// handler's tests (newTestHandler).
const contractRegion = "ap-guangzhou"

// assertRequestContract checks what the handler decides for an already
// decoded event before any upstream call, as handler.plan decides it with
// the settings of the handler's tests (region ap-guangzhou, no configured
// rules, anonymous HTTP allowed: the HTTP checks are fuzzed through Invoke;
// here, the request): the HTTP guard, the request, and its validation as a
// move or as a rule run. Every refusal is a 4xx with a message, and the
// answer to it (answer.Failed) has no batch, echoes what could be read and
// survives the HTTP wrapping; what is accepted names distinct, well-formed
// instances, at most the limit, in a region.
//
// It is handler.assertRequestContract without the handler, which the
// trigger package cannot import: that one also runs the handler against a
// fake CVM and checks that a refusal makes no upstream call and that an
// accepted move is sent in full, one call per batch of 100.
func assertRequestContract(t *testing.T, ev Event) {
	t.Helper()
	sec := guard.Security{AllowAnonymousHTTP: true}
	refused := func(err *answer.Error, named []string, projectID *int64) {
		t.Helper()
		assertRefusal(t, err)
		a := answer.Failed(err, named, projectID)
		assert.Equal(t, err.Code, a.Code)
		assert.Equal(t, err.Message, a.Message)
		assert.Empty(t, a.Batches, "a refusal is answered before any upstream call")
		assert.Equal(t, append([]string{}, named...), append([]string{}, a.InstanceIds...), "the JSON names them all, [] for none")
		assert.Equal(t, projectID, a.ProjectId)
		assertAnswerJSON(t, a)
	}

	if ev.Kind == KindAPIGateway || ev.Kind == KindFunctionURL {
		var method string
		var headers map[string]string
		if ev.HTTP != nil {
			method, headers = ev.HTTP.Method, ev.HTTP.Headers
		}
		if refusal, _ := sec.CheckHTTP(method, headers); refusal != nil {
			refused(refusal, nil, nil)
			return
		}
	}

	raw, err := ev.Request()
	if err != nil {
		refused(err, raw.InstanceIDs, raw.ProjectID)
		return
	}
	if raw.Rules != nil || raw.Reconcile { // the tag rules (none configured)
		rr, err := rules.Validate(raw, contractRegion, nil, sec.InstanceLimit(), raw.DryRun != nil && *raw.DryRun)
		if err == nil {
			err = rules.AllowProjects(rr.Rules, false, sec.AllowProject)
		}
		if err != nil {
			refused(err, raw.InstanceIDs, raw.ProjectID)
			return
		}
		assertInstances(t, rr.InstanceIDs, sec.InstanceLimit())
		assert.True(t, request.ValidRegion(rr.Region), rr.Region)
		return
	}
	req, err := request.Validate(raw, contractRegion, sec.InstanceLimit())
	if err == nil {
		err = sec.AllowProject(req.ProjectID)
	}
	if err != nil {
		refused(err, raw.InstanceIDs, raw.ProjectID)
		return
	}
	assert.NotEmpty(t, req.InstanceIDs)
	assertInstances(t, req.InstanceIDs, sec.InstanceLimit())
	assert.GreaterOrEqual(t, req.ProjectID, int64(0))
	assert.True(t, request.ValidRegion(req.Region), req.Region)
}

// assertInstances checks validated instance ids: at most limit, each
// well-formed, none twice.
func assertInstances(t *testing.T, ids []string, limit int) {
	t.Helper()
	assert.LessOrEqual(t, len(ids), limit)
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(ids))), len(ids), "no instance twice")
	for _, id := range ids {
		assert.True(t, request.ValidInstanceID(id), id)
	}
}
