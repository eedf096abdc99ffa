package handler

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentyun/scf-go-lib/events"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/trigger"
)

// SkipInvalid is read alike from every kind of request. Which of it and
// SKIP_INVALID wins is TestSkipInvalidIsolatesTheOffendingInstances's.
func TestSkipInvalidIsReadFromEveryKindOfRequest(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name     string
		ev       trigger.Event
		want     *bool
		wantCode string
	}{
		{"JSON true", trigger.Event{Kind: trigger.KindDirect, Direct: []byte(`{"SkipInvalid":true}`)}, &yes, ""},
		{"JSON false", trigger.Event{Kind: trigger.KindDirect, Direct: []byte(`{"SkipInvalid":false}`)}, &no, ""},
		{"JSON string", trigger.Event{Kind: trigger.KindDirect, Direct: []byte(`{"skipInvalid":"TRUE"}`)}, &yes, ""},
		{"JSON null is absent", trigger.Event{Kind: trigger.KindDirect, Direct: []byte(`{"SkipInvalid":null}`)}, nil, ""},
		{"absent", trigger.Event{Kind: trigger.KindDirect, Direct: []byte(`{}`)}, nil, ""},
		{"JSON number", trigger.Event{Kind: trigger.KindDirect, Direct: []byte(`{"SkipInvalid":1}`)}, nil, answer.CodeInvalidParameterValue},
		{"JSON bad string", trigger.Event{Kind: trigger.KindDirect, Direct: []byte(`{"SkipInvalid":"yes"}`)}, nil, answer.CodeInvalidParameterValue},
		{"form", trigger.Event{Kind: trigger.KindAPIGateway, HTTP: &trigger.HTTPRequest{Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}, Body: []byte("SkipInvalid=1")}}, &yes, ""},
		{"query", trigger.Event{Kind: trigger.KindAPIGateway, HTTP: &trigger.HTTPRequest{Query: url.Values{"skipinvalid": {"false"}}}}, &no, ""},
		{"bare query key", trigger.Event{Kind: trigger.KindAPIGateway, HTTP: &trigger.HTTPRequest{Query: url.Values{"SkipInvalid": {}}}}, &yes, ""},
		{"query, twice differently", trigger.Event{Kind: trigger.KindAPIGateway, HTTP: &trigger.HTTPRequest{Query: url.Values{"SkipInvalid": {"true", "false"}}}}, nil, answer.CodeInvalidParameterValue},
		{"timer query", trigger.Event{Kind: trigger.KindTimer, Timer: &events.TimerEvent{Message: "SkipInvalid=true"}}, &yes, ""},
		{"timer query, bad", trigger.Event{Kind: trigger.KindTimer, Timer: &events.TimerEvent{Message: "SkipInvalid=maybe"}}, nil, answer.CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := tt.ev.Request()
			if tt.wantCode != "" {
				require.NotNil(t, err)
				assert.Equal(t, tt.wantCode, err.Code)
				assert.Contains(t, err.Message, "SkipInvalid")
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.want, raw.SkipInvalid)
		})
	}
}
