package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
)

// An invocation nobody reads (a timer, a direct one with Async) that
// leaves work a retry can finish returns a function error, for SCF to
// retry; a permanent failure, a success and every HTTP call are answers.
func TestUnfinishedAsyncWorkIsAFunctionError(t *testing.T) {
	throttle := func(cvm.ModifyInstancesProject) (cvm.Result, error) {
		return cvm.Result{RequestID: "req-throttled"}, &cvm.APIError{RequestID: "req-throttled", Code: answer.CodeRequestLimitExceeded, Message: "too frequent: 127.0.0.1:9 says so"}
	}
	notFound := func(cvm.ModifyInstancesProject) (cvm.Result, error) {
		return cvm.Result{RequestID: "req-nf"}, &cvm.APIError{RequestID: "req-nf", Code: answer.CodeInstanceNotFound, Message: "ins-00000001 does not exist"}
	}
	unreachable := func(cvm.ModifyInstancesProject) (cvm.Result, error) {
		return cvm.Result{Attempts: 4}, errors.Join(cvm.ErrUnreachable, errors.New("dial tcp 127.0.0.1:9: connection refused"))
	}
	const request = `{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":1045}`
	timer := func(msg string) []byte {
		b, err := json.Marshal(map[string]string{"Type": "Timer", "TriggerName": "t", "Time": "2026-11-30T00:00:00Z", "Message": msg})
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name       string
		payload    []byte
		answerFn   func(cvm.ModifyInstancesProject) (cvm.Result, error)
		wantErr    bool
		wantStatus int // an HTTP answer's
	}{
		{"timer, throttled", timer(request), throttle, true, 0},
		{"timer, upstream unreachable", timer(request), unreachable, true, 0},
		{"timer, an unknown instance", timer(request), notFound, false, 0},
		{"timer, success", timer(request), nil, false, 0},
		{"direct, throttled: its caller decides", []byte(request), throttle, false, 0},
		{"direct with Async, throttled", []byte(`{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":1045,"Async":true}`), throttle, true, 0},
		{"direct with Async, an unknown instance", []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1045,"Async":true}`), notFound, false, 0},
		{"direct with Async, refused before any call", []byte(`{"InstanceIds":["bad"],"ProjectId":1045,"Async":true}`), throttle, false, 0},
		{"API Gateway, throttled: the answer, 429", apigwEvent(t, http.MethodPost, map[string]string{"content-type": "application/json"}, `{"InstanceIds":["ins-00000001"],"ProjectId":1045,"Async":true}`), throttle, false, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			h := newTestHandler(&fakeCVM{answerFn: tt.answerFn})
			h.Security.AllowAnonymousHTTP = true
			h.Logger = logTo(&log)
			out, err := h.Invoke(context.Background(), tt.payload)
			if !tt.wantErr {
				require.NoError(t, err)
				if tt.wantStatus != 0 {
					status, _ := httpAnswer(t, out)
					assert.Equal(t, tt.wantStatus, status)
				} else {
					decodeAnswer(t, out)
				}
				assert.Contains(t, log.String(), `"function_error":false`)
				return
			}
			var uerr *answer.UnfinishedError
			require.ErrorAs(t, err, &uerr)
			assert.Nil(t, out)
			assert.True(t, answer.Retryable(uerr.Code), uerr.Code)
			assert.Contains(t, err.Error(), uerr.Code)
			assert.Contains(t, err.Error(), "2 instances named, 2 not moved")
			assert.NotContains(t, err.Error(), "127.0.0.1", "no socket address in a function error")
			assert.NotContains(t, err.Error(), "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
			assert.Contains(t, log.String(), `"function_error":true`)
		})
	}
}
