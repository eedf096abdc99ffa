package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"

	"github.com/tencentyun/scf-go-lib/events"
)

// Kind is the trigger an event came from, named as logs name it; "" until
// Decode has told it.
type Kind string

// The kinds of event the function accepts.
const (
	KindAPIGateway  Kind = "apigw"       // API Gateway integration request
	KindFunctionURL Kind = "url"         // the function's own URL
	KindTimer       Kind = "timer"       // a timer trigger
	KindDirect      Kind = "direct"      // an Invoke call (or a console test) with the request itself
	KindEventBridge Kind = "eventbridge" // an EventBridge delivery: one CloudEvent, or a batch of them
)

// eventOf names each kind's event in messages to the caller.
var eventOf = map[Kind]string{
	KindAPIGateway:  "the API Gateway event",
	KindFunctionURL: "the function URL event",
	KindTimer:       "the timer event",
	KindEventBridge: "the EventBridge event",
}

// Event is a decoded invocation payload. Exactly one of HTTP, Timer,
// Direct and CloudEvents is set, as Kind says.
type Event struct {
	Kind        Kind
	HTTP        *HTTPRequest       // KindAPIGateway, KindFunctionURL
	Timer       *events.TimerEvent // KindTimer
	Direct      json.RawMessage    // KindDirect: the payload (a JSON object)
	CloudEvents []CloudEvent       // KindEventBridge: the event, or a batch's (not nil)
}

// probe holds, raw, the top-level fields that tell the kinds apart and
// that the platform events' decoders read (encoding/json matches keys in
// any case); a direct invocation's request is read by request.FromJSON.
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
}

// Decode detects the payload's kind and decodes it: EventBridge (specversion
// or EventList, tested first), API Gateway (requestContext with serviceId),
// function URL (httpMethod), timer (Type "Timer"), else direct. Errors:
// InvalidParameter (not a JSON object), RequestSizeLimitExceeded (over
// MaxEventBytes or MaxRequestBytes); a refused event keeps its Kind.
// Shapes: docs/requests-and-answers.md.
func Decode(payload []byte) (Event, *answer.Error) {
	if len(payload) > request.MaxEventBytes {
		return Event{}, answer.Errorf(answer.CodeRequestTooLarge, "the event is %d bytes; at most %d bytes are accepted", len(payload), request.MaxEventBytes)
	}
	payload = bytes.TrimPrefix(payload, []byte(request.BOM))
	var p probe
	if err := request.DecodeObject("the event", payload, &p); err != nil {
		return Event{}, err
	}
	if request.Present(p.SpecVersion) || request.Present(p.EventList) {
		if len(payload) > request.MaxRequestBytes {
			return Event{Kind: KindEventBridge}, answer.Errorf(answer.CodeRequestTooLarge, "the event is %d bytes; at most %d bytes are accepted", len(payload), request.MaxRequestBytes)
		}
		return decodeCloudEvents(payload, &p)
	}
	// Each value is decoded only when its type may tell the kind: a
	// decoded value is an allocation.
	if request.JSONType(p.RequestContext) == request.TypeObject {
		var rc struct {
			ServiceID json.RawMessage `json:"serviceId"`
		}
		if json.Unmarshal(p.RequestContext, &rc) == nil && request.Present(rc.ServiceID) {
			return decodeHTTP(KindAPIGateway, &p)
		}
	}
	if request.JSONType(p.HTTPMethod) == request.TypeString {
		return decodeHTTP(KindFunctionURL, &p)
	}
	if request.JSONType(p.Type) == request.TypeString {
		var typ string
		if json.Unmarshal(p.Type, &typ) == nil && strings.EqualFold(typ, "Timer") {
			return decodeTimer(&p)
		}
	}
	if len(payload) > request.MaxRequestBytes {
		return Event{Kind: KindDirect}, answer.Errorf(answer.CodeRequestTooLarge, "the event is %d bytes; at most %d bytes are accepted", len(payload), request.MaxRequestBytes)
	}
	return Event{Kind: KindDirect, Direct: append(json.RawMessage(nil), payload...)}, nil
}

// Request extracts the request of an event Decode accepted, any but
// EventBridge's: an HTTP body (a form by its Content-Type, else JSON) or
// query, a timer's Message, a direct payload. On error, the request.Raw
// holds what could be read, for the answer to echo. Keys:
// docs/requests-and-answers.md#requests.
func (ev Event) Request() (request.Raw, *answer.Error) {
	switch ev.Kind {
	case KindAPIGateway, KindFunctionURL:
		return requestFromHTTP(ev.HTTP)
	case KindTimer:
		return requestFromTimer(ev.Timer)
	case KindDirect:
		return request.FromJSON("the event", ev.Direct)
	}
	return request.Raw{}, answer.Errorf(answer.CodeInternalError, "the event of kind %v has nothing to read a request from", ev.Kind)
}

// Unread reports whether nobody reads the answer of an invocation of kind
// k: a timer, EventBridge, or a direct one whose request says Async (SCF
// does not tell the function whether Invoke was synchronous). Such an
// invocation returns a function error for work a retry can finish.
func (k Kind) Unread(async bool) bool {
	switch k {
	case KindTimer, KindEventBridge:
		return true
	case KindDirect:
		return async
	}
	return false
}

// field is a top-level field of an event, raw, and what to decode it into.
type field struct {
	name string
	raw  json.RawMessage
	v    any
}

// decodeFields decodes each of fields that is present, in order; the first
// of a wrong type is refused with a message naming it, what naming the event.
func decodeFields(what string, fields ...field) *answer.Error {
	for _, f := range fields {
		if !request.Present(f.raw) {
			continue
		}
		err := json.Unmarshal(f.raw, f.v)
		var te *json.UnmarshalTypeError
		switch {
		case err == nil:
		case errors.As(err, &te):
			name := f.name
			if te.Field != "" {
				name += "." + te.Field
			}
			return answer.Errorf(answer.CodeInvalidParameter, "%s has the wrong type at %s: want %s, got %s", what, name, goTypeName(te.Type), te.Value)
		default:
			return answer.Errorf(answer.CodeInvalidParameter, "%s cannot be read at %s: %v", what, f.name, err)
		}
	}
	return nil
}

// goTypeName names a Go type as a JSON type.
func goTypeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return request.TypeString
	case reflect.Bool:
		return request.TypeBoolean
	case reflect.Map, reflect.Struct:
		return request.TypeObject
	case reflect.Slice, reflect.Array:
		return request.TypeArray
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return request.TypeNumber
	}
	return t.String()
}
