package handler

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentyun/scf-go-lib/events"
)

func TestSkipInvalidIsReadFromEveryKindOfRequest(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name     string
		ev       Event
		want     *bool
		wantCode string
	}{
		{"JSON true", Event{Kind: KindDirect, Direct: []byte(`{"SkipInvalid":true}`)}, &yes, ""},
		{"JSON false", Event{Kind: KindDirect, Direct: []byte(`{"SkipInvalid":false}`)}, &no, ""},
		{"JSON string", Event{Kind: KindDirect, Direct: []byte(`{"skipInvalid":"TRUE"}`)}, &yes, ""},
		{"JSON null is absent", Event{Kind: KindDirect, Direct: []byte(`{"SkipInvalid":null}`)}, nil, ""},
		{"absent", Event{Kind: KindDirect, Direct: []byte(`{}`)}, nil, ""},
		{"JSON number", Event{Kind: KindDirect, Direct: []byte(`{"SkipInvalid":1}`)}, nil, CodeInvalidParameterValue},
		{"JSON bad string", Event{Kind: KindDirect, Direct: []byte(`{"SkipInvalid":"yes"}`)}, nil, CodeInvalidParameterValue},
		{"form", Event{Kind: KindAPIGateway, HTTP: &HTTPRequest{Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}, Body: []byte("SkipInvalid=1")}}, &yes, ""},
		{"query", Event{Kind: KindAPIGateway, HTTP: &HTTPRequest{Query: url.Values{"skipinvalid": {"false"}}}}, &no, ""},
		{"bare query key", Event{Kind: KindAPIGateway, HTTP: &HTTPRequest{Query: url.Values{"SkipInvalid": {}}}}, &yes, ""},
		{"query, twice differently", Event{Kind: KindAPIGateway, HTTP: &HTTPRequest{Query: url.Values{"SkipInvalid": {"true", "false"}}}}, nil, CodeInvalidParameterValue},
		{"timer query", Event{Kind: KindTimer, Timer: &events.TimerEvent{Message: "SkipInvalid=true"}}, &yes, ""},
		{"timer query, bad", Event{Kind: KindTimer, Timer: &events.TimerEvent{Message: "SkipInvalid=maybe"}}, nil, CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := RequestFromEvent(tt.ev)
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

func TestTheRequestsSkipInvalidWins(t *testing.T) {
	yes, no := true, false
	for _, tt := range []struct {
		env  bool
		req  *bool
		want bool
	}{{false, nil, false}, {true, nil, true}, {true, &no, false}, {false, &yes, true}} {
		h := &Handler{SkipInvalid: tt.env}
		assert.Equal(t, tt.want, h.skipInvalid(Request{SkipInvalid: tt.req}))
	}
}
