package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/tencentyun/scf-go-lib/events"
)

// Kind is the trigger an event came from.
type Kind int

// The kinds of event the function accepts.
const (
	KindAPIGateway  Kind = iota + 1 // API Gateway integration request
	KindFunctionURL                 // the function's own URL
	KindTimer                       // a timer trigger
	KindDirect                      // an Invoke call (or a console test) with the request itself
	KindEventBridge                 // an EventBridge delivery: one CloudEvent, or a batch of them
)

// String returns the short name used in logs: "apigw", "url", "timer",
// "direct", "eventbridge".
func (k Kind) String() string {
	switch k {
	case KindAPIGateway:
		return "apigw"
	case KindFunctionURL:
		return "url"
	case KindTimer:
		return "timer"
	case KindDirect:
		return "direct"
	case KindEventBridge:
		return "eventbridge"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// describe names the kind in messages to the caller.
func (k Kind) describe() string {
	switch k {
	case KindAPIGateway:
		return "the API Gateway event"
	case KindFunctionURL:
		return "the function URL event"
	case KindTimer:
		return "the timer event"
	case KindEventBridge:
		return "the EventBridge event"
	}
	return "the event"
}

// Event is a decoded invocation payload. Exactly one of HTTP, Timer,
// Direct and CloudEvents is set, as Kind says.
type Event struct {
	Kind        Kind
	HTTP        *HTTPRequest       // KindAPIGateway, KindFunctionURL
	Timer       *events.TimerEvent // KindTimer
	Direct      json.RawMessage    // KindDirect: the payload (a JSON object)
	CloudEvents []CloudEvent       // KindEventBridge: the event, or a batch's (not nil)

	direct *wireRequest // KindDirect: the request, decoded with the probe
}

// probe holds the keys that tell the kinds apart. Like every decode here it
// relies on encoding/json matching keys case-insensitively.
//
// It holds every top-level field that any kind's decoder reads, raw, so the
// payload is scanned once: each decoder then reads only its own fields.
type probe struct {
	RequestContext json.RawMessage `json:"requestContext"`
	HTTPMethod     json.RawMessage `json:"httpMethod"`
	Type           json.RawMessage `json:"Type"`

	// API Gateway and the function URL.
	Headers         json.RawMessage `json:"headers"`
	Path            json.RawMessage `json:"path"`
	QueryString     json.RawMessage `json:"queryString"`
	Body            json.RawMessage `json:"body"`
	IsBase64Encoded json.RawMessage `json:"isBase64Encoded"`

	// EventBridge (cloudevent.go reads the rest of the event).
	SpecVersion json.RawMessage `json:"specversion"`
	EventList   json.RawMessage `json:"EventList"`

	// The timer.
	TriggerName json.RawMessage `json:"TriggerName"`
	Time        json.RawMessage `json:"Time"`
	Message     json.RawMessage `json:"Message"`

	// A direct invocation's request.
	wireRequest
}

// DecodeEvent detects the kind of the payload from its JSON and decodes it.
//
//   - EventBridge: a specversion (a CloudEvent), or an EventList (a batch
//     of them). Tested first: keys match in any case, so a CloudEvent's
//     "type" and "time" also fill the timer's Type and Time, and its
//     extensions may be named anything; a CloudEvent is never taken for
//     another kind.
//   - API Gateway: a requestContext object that names the serviceId.
//   - Function URL: an httpMethod string, and no API Gateway requestContext.
//     (SCF documents the function URL event without requestContext, but
//     sends {"requestContext":{"sourceIp":...}}; only API Gateway names a
//     service, so that is what tells the two apart.)
//   - Timer: Type is "Timer".
//   - Direct: any other JSON object.
//
// A payload that is not a JSON object, or whose HTTP fields have the wrong
// type, is refused with CodeInvalidParameter; one over MaxEventBytes, a
// direct request or an HTTP body over MaxBodyBytes, with
// CodeRequestTooLarge.
//
// When the refusal comes after the kind is known, the Event returned keeps
// its Kind (so an HTTP event is answered in HTTP's shape) and, for HTTP,
// what could be read of the request (so the caller is authenticated before
// being told what is wrong with the body).
func DecodeEvent(payload []byte) (Event, *Error) {
	if len(payload) > MaxEventBytes {
		return Event{}, errorf(CodeRequestTooLarge, "the event is %d bytes; at most %d bytes are accepted", len(payload), MaxEventBytes)
	}
	var p probe
	if err := decodeObject("the event", payload, &p); err != nil {
		return Event{}, err
	}
	switch {
	case present(p.SpecVersion) || present(p.EventList):
		return decodeCloudEvents(payload, &p)
	case namesService(p.RequestContext):
		return decodeHTTP(KindAPIGateway, &p)
	case jsonType(p.HTTPMethod) == typeString:
		return decodeHTTP(KindFunctionURL, &p)
	case isTimer(p.Type):
		return decodeTimer(&p)
	}
	if len(payload) > MaxBodyBytes {
		return Event{Kind: KindDirect}, errorf(CodeRequestTooLarge, "the event is %d bytes; at most %d bytes are accepted", len(payload), MaxBodyBytes)
	}
	return Event{Kind: KindDirect, Direct: append(json.RawMessage(nil), payload...), direct: &p.wireRequest}, nil
}

// namesService reports whether requestContext is an object with a serviceId.
func namesService(requestContext json.RawMessage) bool {
	if jsonType(requestContext) != typeObject {
		return false
	}
	var rc struct {
		ServiceID json.RawMessage `json:"serviceId"`
	}
	return json.Unmarshal(requestContext, &rc) == nil && present(rc.ServiceID)
}

// isTimer reports whether Type is the string "Timer", in any case.
func isTimer(typ json.RawMessage) bool {
	var s string
	return jsonType(typ) == typeString && json.Unmarshal(typ, &s) == nil && strings.EqualFold(s, "Timer")
}

// The JSON types, as messages name them.
const (
	typeObject  = "an object"
	typeArray   = "an array"
	typeString  = "a string"
	typeNumber  = "a number"
	typeBoolean = "a boolean"
	typeNull    = "null"
)

// jsonType names the type of a JSON value from its first byte; "" when
// raw is empty (the key was absent). It does not check the rest of raw.
func jsonType(raw []byte) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return typeObject
		case '[':
			return typeArray
		case '"':
			return typeString
		case 't', 'f':
			return typeBoolean
		case 'n':
			return typeNull
		}
		return typeNumber
	}
	return ""
}

// present reports whether a key was given a value: absent and null are the same.
func present(raw json.RawMessage) bool {
	t := jsonType(raw)
	return t != "" && t != typeNull
}

// decodeObject decodes data, which must be one JSON object, into v, whose
// fields are all json.RawMessage (so a valid object always fits). It scans
// data once: the check and the decode are the same pass. what names data in
// the message ("the event", "the body").
func decodeObject(what string, data []byte, v any) *Error {
	t := jsonType(data)
	if t == "" {
		return errorf(CodeInvalidParameter, "%s is empty; want a JSON object", what)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errorf(CodeInvalidParameter, "%s is not valid JSON: %v (at byte %d)", what, err, se.Offset)
		}
		if t == typeObject {
			return errorf(CodeInvalidParameter, "%s cannot be read: %v", what, err)
		}
	}
	if t != typeObject {
		return errorf(CodeInvalidParameter, "%s must be a JSON object; got %s", what, t)
	}
	return nil
}

// decodeField decodes the top-level field name of an event, when present,
// into v; a wrong type is refused with a message naming the field.
func decodeField(what, name string, raw json.RawMessage, v any) *Error {
	if !present(raw) {
		return nil
	}
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := name
		if te.Field != "" {
			field += "." + te.Field
		}
		return errorf(CodeInvalidParameter, "%s has the wrong type at %s: want %s, got %s", what, field, goTypeName(te.Type), te.Value)
	}
	return errorf(CodeInvalidParameter, "%s cannot be read at %s: %v", what, name, err)
}

// goTypeName names a Go type as a JSON type.
func goTypeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return typeString
	case reflect.Bool:
		return typeBoolean
	case reflect.Map, reflect.Struct:
		return typeObject
	case reflect.Slice, reflect.Array:
		return typeArray
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return typeNumber
	}
	return t.String()
}
