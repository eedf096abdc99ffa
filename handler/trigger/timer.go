package trigger

import (
	"net/url"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"

	"github.com/tencentyun/scf-go-lib/events"
)

// decodeTimer decodes a timer trigger's event:
// {"Type":"Timer","TriggerName":"...","Time":"...","Message":"..."}.
func decodeTimer(p *probe) (Event, *answer.Error) {
	t := events.TimerEvent{Type: "Timer"}
	if err := decodeFields(eventOf[KindTimer],
		field{"Type", p.Type, &t.Type},
		field{"TriggerName", p.TriggerName, &t.TriggerName},
		field{"Time", p.Time, &t.Time},
		field{"Message", p.Message, &t.Message},
	); err != nil {
		return Event{}, err
	}
	return Event{Kind: KindTimer, Timer: &t}, nil
}

// requestFromTimer reads the request from the trigger's Message, which the
// timer's configuration sets: a JSON object, or a query string such as
// InstanceIds=ins-a,ins-b&ProjectId=1045.
func requestFromTimer(t *events.TimerEvent) (request.Raw, *answer.Error) {
	msg := strings.TrimSpace(strings.TrimPrefix(t.Message, request.BOM))
	if len(msg) > request.MaxRequestBytes {
		return request.Raw{}, answer.Errorf(answer.CodeRequestTooLarge, "the timer's Message is %d bytes; at most %d bytes are accepted", len(msg), request.MaxRequestBytes)
	}
	if msg == "" {
		return request.Raw{}, answer.Errorf(answer.CodeMissingParameter,
			`the timer's Message is empty; set it to the request, as JSON ({"InstanceIds":["ins-..."],"ProjectId":1045}) or as a query string (InstanceIds=ins-...&ProjectId=1045)`)
	}
	if msg[0] == '{' {
		return request.FromJSON("the timer's Message", []byte(msg))
	}
	values, err := url.ParseQuery(strings.TrimPrefix(msg, "?"))
	if err != nil {
		return request.Raw{}, answer.Errorf(answer.CodeInvalidParameter, "the timer's Message is neither a JSON object nor a query string: %v", err)
	}
	return request.FromValues("the timer's Message", values)
}
