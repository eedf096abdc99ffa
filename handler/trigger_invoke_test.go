package handler

import (
	samples "scf-cvm-project/events"

	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/trigger"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentyun/scf-go-lib/events"
)

// The tests of handler/trigger that need the handler: they hold Invoke (or
// the handler's answer) to its contract on what the trigger package decodes.

// sampleFiles returns the name and bytes of every sample event in events/.
func sampleFiles(testing.TB) map[string][]byte { return samples.Samples() }

// FuzzDecodeEvent: no payload panics trigger.Decode; every refusal is a 4xx
// with a message; every event it returns has exactly the part its kind says;
// and Invoke, given the payload, answers a rejection with a 4xx and no
// upstream call (assertInvokeContract). The committed corpus is in
// testdata/fuzz/FuzzDecodeEvent.
func FuzzDecodeEvent(f *testing.F) {
	for _, b := range sampleFiles(f) {
		f.Add(b)
	}
	for _, s := range []string{``, `null`, `[]`, `{"httpMethod":"GET","queryString":{"a":true}}`, `{"Type":"Timer","Message":""}`,
		`{"requestContext":{"serviceId":"s"},"isBase64Encoded":true,"body":"e30="}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		assertInvokeContract(t, payload)
		ev, err := trigger.Decode(payload)
		if err != nil {
			assert.NotEmpty(t, err.Code)
			assert.NotEmpty(t, err.Message)
			status := answer.HTTPStatus(err.Code)
			assert.True(t, status >= 400 && status < 500, "code %s maps to %d", err.Code, status)
			return
		}
		switch ev.Kind {
		case trigger.KindAPIGateway, trigger.KindFunctionURL:
			require.NotNil(t, ev.HTTP)
			assert.NotNil(t, ev.HTTP.Headers)
			assert.NotNil(t, ev.HTTP.Query)
			assert.LessOrEqual(t, len(ev.HTTP.Body), request.MaxRequestBytes)
			for k := range ev.HTTP.Headers {
				assert.Equal(t, strings.ToLower(k), k)
			}
		case trigger.KindTimer:
			require.NotNil(t, ev.Timer)
		case trigger.KindDirect:
			assert.True(t, json.Valid(ev.Direct))
			assert.Equal(t, request.TypeObject, request.JSONType(ev.Direct))
		case trigger.KindEventBridge:
			require.NotNil(t, ev.CloudEvents)
		default:
			t.Fatalf("unknown kind %v", ev.Kind)
		}
	})
}

// FuzzRequestContract: for any bytes, as a payload and as what each kind of
// event carries (a direct payload, a JSON body, a form body, a query, a
// timer Message), the handler, given each event, answers a rejection with a
// 4xx and no upstream call, and moves what it accepts in full
// (assertRequestContract). It is the handler's half of what
// FuzzRequestFromEvent checked before the trigger package was split out;
// trigger's FuzzRequestFromEvent builds the same events.
func FuzzRequestContract(f *testing.F) {
	for _, b := range sampleFiles(f) {
		f.Add(b)
		if ev, err := trigger.Decode(b); err == nil { // the bodies and Messages too
			switch {
			case ev.HTTP != nil:
				f.Add(ev.HTTP.Body)
			case ev.Timer != nil:
				f.Add([]byte(ev.Timer.Message))
			}
		}
	}
	for _, s := range []string{"InstanceIds.0=ins-00000001&InstanceIds.1=ins-00000002&ProjectId=1", `{"ProjectId":1e400}`, `{"InstanceIds":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs := []trigger.Event{
			{Kind: trigger.KindDirect, Direct: data},
			{Kind: trigger.KindFunctionURL, HTTP: &trigger.HTTPRequest{Headers: map[string]string{"content-type": "application/json"}, Body: data}},
			{Kind: trigger.KindAPIGateway, HTTP: &trigger.HTTPRequest{Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}, Body: data}},
			{Kind: trigger.KindTimer, Timer: &events.TimerEvent{Message: string(data)}},
		}
		if q, err := url.ParseQuery(string(data)); err == nil {
			evs = append(evs, trigger.Event{Kind: trigger.KindAPIGateway, HTTP: &trigger.HTTPRequest{Query: q}})
		}
		if ev, err := trigger.Decode(data); err == nil && ev.Kind != trigger.KindEventBridge { // no request: trigger.FuzzCloudEvent
			evs = append(evs, ev)
		}
		for _, ev := range evs {
			assertRequestContract(t, ev)
		}
	})
}
