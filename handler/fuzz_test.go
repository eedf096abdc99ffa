package handler

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/trigger"
)

// assertInvokeContract runs Invoke on payload against a fake CVM that
// always succeeds, and checks the contract the fuzzers hold it to: no
// panic escapes (Invoke would answer InternalError, a 500); an input the
// function rejects gets a 4xx code and makes no upstream call; an input it
// accepts is moved in full, one call per batch.
func assertInvokeContract(t *testing.T, payload []byte) {
	t.Helper()
	f := &fakeCVM{}
	out, err := newTestHandler(f).Invoke(context.Background(), payload)
	require.NoError(t, err, "Invoke never fails the invocation")

	body, status := out, 0
	var probe struct {
		StatusCode *int    `json:"statusCode"`
		Body       *string `json:"body"`
	}
	if json.Unmarshal(out, &probe) == nil && probe.StatusCode != nil && probe.Body != nil {
		body, status = []byte(*probe.Body), *probe.StatusCode
	}
	var a answer.Answer
	require.NoError(t, json.Unmarshal(body, &a), "the answer is JSON: %s", body)
	if status != 0 {
		assert.Equal(t, answer.HTTPStatus(a.Code), status, "the HTTP status follows the code")
	}
	assertAnswerContract(t, a, f)
}

// assertAnswerContract checks an answer against the calls f received.
func assertAnswerContract(t *testing.T, a answer.Answer, f *fakeCVM) {
	t.Helper()
	f.mu.Lock()
	calls, listings := len(f.calls), f.listings
	f.mu.Unlock()
	switch {
	case a.Code == answer.CodeNoInstances: // an event that names no instance: nothing to do
		assert.Zero(t, calls+listings, "nothing to do, no upstream call")
		assert.NotEmpty(t, a.Message)
	case a.Code != answer.CodeSuccess:
		code := answer.HTTPStatus(a.Code)
		assert.True(t, code >= 400 && code < 500, "a rejection is a 4xx: %s (%d): %s", a.Code, code, a.Message)
		assert.Zero(t, calls+listings, "a rejected input makes no upstream call")
		assert.NotEmpty(t, a.Message)
		assert.Empty(t, a.Batches)
	case len(a.Rules) > 0: // a rule run: the fake's listings find nothing to move
		assert.Zero(t, calls)
		assert.Empty(t, a.Batches)
	default:
		assert.Equal(t, (len(a.InstanceIds)+99)/100, calls, "one call per batch of 100")
		assert.Len(t, a.Batches, calls)
	}
}

// assertRequestContract runs the handler on an already decoded event.
func assertRequestContract(t *testing.T, ev trigger.Event) {
	t.Helper()
	f := &fakeCVM{}
	h := newTestHandler(f)
	h.Security.AllowAnonymousHTTP = true // the HTTP checks are fuzzed through Invoke; here, the request
	assertAnswerContract(t, h.answer(context.Background(), ev, nil, &invocation{}), f)
}
