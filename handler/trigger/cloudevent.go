package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"
)

// CloudEvent is one EventBridge event in the CloudEvents 1.0 JSON shape
// Tencent Cloud's EventBridge delivers to SCF ({"specversion", "id", "type",
// "source", "subject", "time", "region", "resource", "tags", "data"}; see
// docs/tag-rules.md#events-eventbridge), with the fields the function reads.
type CloudEvent struct {
	SpecVersion string
	ID          string
	Type        string
	Source      string
	Subject     string   // "subject", or "subjuect" as some deliveries spell it
	Time        string   // as sent: milliseconds since 1970 (a number or a string) or a date
	Region      string   // "" when the event names none
	Resource    []string // "resource": one name or a list
	Data        json.RawMessage
}

// wireCloudEvent is a CloudEvent as JSON spells it, each field raw so that
// its error names it. The event's "tags" are not read: they are the tags
// when the event was sent, and the function asks the API for the current ones.
type wireCloudEvent struct {
	SpecVersion json.RawMessage `json:"specversion"`
	ID          json.RawMessage `json:"id"`
	Type        json.RawMessage `json:"type"`
	Source      json.RawMessage `json:"source"`
	Subject     json.RawMessage `json:"subject"`
	Subjuect    json.RawMessage `json:"subjuect"`
	Time        json.RawMessage `json:"time"`
	Region      json.RawMessage `json:"region"`
	Resource    json.RawMessage `json:"resource"`
	Data        json.RawMessage `json:"data"`
}

// decodeCloudEvents decodes an EventBridge delivery: one CloudEvent, or a
// batch {"EventList":[...]} of them.
func decodeCloudEvents(payload []byte, p *probe) (Event, *answer.Error) {
	if !request.Present(p.EventList) {
		ev, err := decodeCloudEvent(eventOf[KindEventBridge], payload)
		if err != nil {
			return Event{}, err
		}
		return Event{Kind: KindEventBridge, CloudEvents: []CloudEvent{ev}}, nil
	}
	if t := request.JSONType(p.EventList); t != request.TypeArray {
		return Event{}, answer.Errorf(answer.CodeInvalidParameter, "the EventBridge batch has the wrong type at EventList: want an array of events, got %s", t)
	}
	var raws []json.RawMessage
	_ = json.Unmarshal(p.EventList, &raws) // an array of the event Decode read whole
	evs := make([]CloudEvent, 0, len(raws))
	for i, raw := range raws {
		ev, err := decodeCloudEvent(fmt.Sprintf("the EventBridge batch's EventList[%d]", i), raw)
		if err != nil {
			return Event{}, err
		}
		evs = append(evs, ev)
	}
	return Event{Kind: KindEventBridge, CloudEvents: evs}, nil
}

// decodeCloudEvent decodes one event, a JSON object; what names it in messages.
func decodeCloudEvent(what string, data []byte) (CloudEvent, *answer.Error) {
	var w wireCloudEvent
	if err := request.DecodeObject(what, data, &w); err != nil {
		return CloudEvent{}, err
	}
	ev := CloudEvent{Data: w.Data}
	subject := w.Subject
	if !request.Present(subject) {
		subject = w.Subjuect
	}
	if err := decodeFields(what,
		field{"specversion", w.SpecVersion, &ev.SpecVersion},
		field{"id", w.ID, &ev.ID},
		field{"type", w.Type, &ev.Type},
		field{"source", w.Source, &ev.Source},
		field{"subject", subject, &ev.Subject},
		field{"region", w.Region, &ev.Region},
	); err != nil {
		return CloudEvent{}, err
	}
	ev.Region = strings.TrimSpace(ev.Region)
	switch t := request.JSONType(w.Time); t {
	case "", request.TypeNull:
	case request.TypeNumber:
		ev.Time = string(bytes.TrimSpace(w.Time))
	case request.TypeString:
		_ = json.Unmarshal(w.Time, &ev.Time) // a string of the event DecodeObject read whole
	default:
		return CloudEvent{}, answer.Errorf(answer.CodeInvalidParameter, "%s has the wrong type at time: want a string or a number, got %s", what, t)
	}
	switch t := request.JSONType(w.Resource); t {
	case "", request.TypeNull:
	case request.TypeString:
		var s string
		_ = json.Unmarshal(w.Resource, &s) // as time
		ev.Resource = []string{s}
	default:
		if err := decodeFields(what, field{"resource", w.Resource, &ev.Resource}); err != nil {
			return CloudEvent{}, err
		}
	}
	return ev, nil
}
