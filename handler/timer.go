package handler

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/tencentyun/scf-go-lib/events"
)

// decodeTimer decodes a timer trigger's event:
// {"Type":"Timer","TriggerName":"...","Time":"...","Message":"..."}.
func decodeTimer(p *probe) (Event, *Error) {
	t := events.TimerEvent{Type: "Timer"}
	what := KindTimer.describe()
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		v    *string
	}{
		{"Type", p.Type, &t.Type},
		{"TriggerName", p.TriggerName, &t.TriggerName},
		{"Time", p.Time, &t.Time},
		{"Message", p.Message, &t.Message},
	} {
		// The Message holds the request as JSON in a JSON string: read it in
		// one pass when it is plain (see unquoteJSONString).
		if s, ok := unquoteJSONString(f.raw); ok {
			*f.v = string(s)
			continue
		}
		if err := decodeField(what, f.name, f.raw, f.v); err != nil {
			return Event{}, err
		}
	}
	return Event{Kind: KindTimer, Timer: &t}, nil
}

// requestFromTimer reads the request from the trigger's Message, which the
// timer's configuration sets: a JSON object, or a query string such as
// InstanceIds=ins-a,ins-b&ProjectId=1045.
func requestFromTimer(t *events.TimerEvent) (RawRequest, *Error) {
	msg := strings.TrimSpace(t.Message)
	if msg == "" {
		return RawRequest{}, errorf(CodeMissingParameter,
			`the timer's Message is empty; set it to the request, as JSON ({"InstanceIds":["ins-..."],"ProjectId":1045}) or as a query string (InstanceIds=ins-...&ProjectId=1045)`)
	}
	if msg[0] == '{' {
		return requestFromJSON("the timer's Message", []byte(msg))
	}
	values, err := url.ParseQuery(strings.TrimPrefix(msg, "?"))
	if err != nil {
		return RawRequest{}, errorf(CodeInvalidParameter, "the timer's Message is neither a JSON object nor a query string: %v", err)
	}
	return requestFromValues("the timer's Message", values)
}
