package trigger

import (
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentyun/scf-go-lib/events"
)

// The timer's Message carries the request, as JSON or as a query string.
func TestRequestFromTimer(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    request.Raw
	}{
		{
			name:    "JSON",
			message: `{"InstanceIds":["ins-00000001","ins-00000002"],"ProjectId":1045,"Region":"ap-shanghai"}`,
			want:    request.Raw{InstanceIDs: []string{"ins-00000001", "ins-00000002"}, ProjectID: ptr(1045), Region: "ap-shanghai", HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:    "JSON with blanks around it",
			message: "\n  {\"InstanceIds\":\"ins-00000001\",\"ProjectId\":0}  ",
			want:    request.Raw{InstanceIDs: []string{"ins-00000001"}, ProjectID: ptr(0), HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:    "query string",
			message: "InstanceIds=ins-00000001,ins-00000002&ProjectId=1045",
			want:    request.Raw{InstanceIDs: []string{"ins-00000001", "ins-00000002"}, ProjectID: ptr(1045), HasInstanceIDs: true, HasProjectID: true},
		},
		{
			name:    "query string with a leading ?",
			message: "?InstanceIds=ins-00000001&Region=ap-guangzhou&ProjectId=3",
			want:    request.Raw{InstanceIDs: []string{"ins-00000001"}, ProjectID: ptr(3), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Event{Kind: KindTimer, Timer: &events.TimerEvent{Type: "Timer", Message: tt.message}}.Request()
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRequestFromTimerRejects(t *testing.T) {
	tests := []struct {
		name    string
		message string
		code    string
		wantIn  []string
	}{
		{"empty Message", "", answer.CodeMissingParameter, []string{"Message", "empty"}},
		{"blank Message", " \t\n", answer.CodeMissingParameter, []string{"Message", "empty"}},
		{"JSON that is not valid", `{"InstanceIds":`, answer.CodeInvalidParameter, []string{"the timer's Message is not valid JSON"}},
		{"JSON with a wrong type", `{"InstanceIds":1}`, answer.CodeInvalidParameterValue, []string{"InstanceIds", "got a number"}},
		{"a bad query string", "InstanceIds=%zz", answer.CodeInvalidParameter, []string{"Message", "neither a JSON object nor a query string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Event{Kind: KindTimer, Timer: &events.TimerEvent{Type: "Timer", Message: tt.message}}.Request()
			require.NotNil(t, err)
			assert.Equal(t, tt.code, err.Code)
			for _, m := range tt.wantIn {
				assert.Contains(t, err.Message, m)
			}
		})
	}
}
