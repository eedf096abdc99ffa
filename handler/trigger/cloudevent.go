package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"
)

// CloudEvent is one EventBridge event, in the CloudEvents 1.0 JSON shape
// that Tencent Cloud's EventBridge delivers to SCF:
//
//	{"specversion":"1.0","id":"...","type":"cvm:CloudEvent:ApiCall","source":"cvm.cloud.tencent",
//	 "subject":"qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-abcd1234","time":1615430559146,
//	 "region":"ap-guangzhou","resource":["qcs::eb:..."],"tags":{...},"data":{...}}
//
// Neither dependency has this type: aws-lambda-go's events.CloudWatchEvent
// (alias EventBridgeEvent) is AWS EventBridge's own envelope (detail-type,
// detail, resources, time as RFC 3339 only), not CloudEvents, and
// scf-go-lib has none. So it is written here, with what the function reads.
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
		ev, err := decodeCloudEvent(KindEventBridge.describe(), payload)
		if err != nil {
			return Event{}, err
		}
		return Event{Kind: KindEventBridge, CloudEvents: []CloudEvent{ev}}, nil
	}
	if t := request.JSONType(p.EventList); t != request.TypeArray {
		return Event{}, answer.Errorf(answer.CodeInvalidParameter, "the EventBridge batch has the wrong type at EventList: want an array of events, got %s", t)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(p.EventList, &raws); err != nil {
		return Event{}, answer.Errorf(answer.CodeInvalidParameter, "the EventBridge batch cannot be read at EventList: %v", err)
	}
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
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		v    *string
	}{
		{"specversion", w.SpecVersion, &ev.SpecVersion},
		{"id", w.ID, &ev.ID},
		{"type", w.Type, &ev.Type},
		{"source", w.Source, &ev.Source},
		{"subject", subject, &ev.Subject},
		{"region", w.Region, &ev.Region},
	} {
		if err := request.DecodeField(what, f.name, f.raw, f.v); err != nil {
			return CloudEvent{}, err
		}
	}
	ev.Region = strings.TrimSpace(ev.Region)
	switch t := request.JSONType(w.Time); t {
	case "", request.TypeNull:
	case request.TypeNumber:
		ev.Time = string(bytes.TrimSpace(w.Time))
	case request.TypeString:
		if err := request.DecodeField(what, "time", w.Time, &ev.Time); err != nil {
			return CloudEvent{}, err
		}
	default:
		return CloudEvent{}, answer.Errorf(answer.CodeInvalidParameter, "%s has the wrong type at time: want a string or a number, got %s", what, t)
	}
	switch t := request.JSONType(w.Resource); t {
	case "", request.TypeNull:
	case request.TypeString:
		var s string
		if err := request.DecodeField(what, "resource", w.Resource, &s); err != nil {
			return CloudEvent{}, err
		}
		ev.Resource = []string{s}
	default:
		if err := request.DecodeField(what, "resource", w.Resource, &ev.Resource); err != nil {
			return CloudEvent{}, err
		}
	}
	return ev, nil
}

// maxNestedJSON bounds how deep InstanceIDs follows JSON text held in a
// string (CloudAudit's requestParameters), which holds JSON in turn.
const maxNestedJSON = 4

// InstanceIDs returns the instances the event names, each once, in the
// order named: from subject and resource, the six-segment names of CVM
// instances (qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-abcd1234);
// from data, at any depth, every string that is an instance id, such a
// name, or a list of them (separated by commas or spaces), JSON text in a
// string included (CloudAudit's requestParameters and responseElements).
//
// So every kind of event that names instances is read alike: a monitoring
// event's data.instanceId, a CloudAudit log of RunInstances (its
// responseElements.InstanceIdSet), of AddResourceTag or ModifyResourceTags
// (their Resource), of TagResources (its ResourceList), and so on. Other
// resources' names (qcs::eb:..., an image, a bucket) are not instances.
func (e CloudEvent) InstanceIDs() []string {
	c := idCollector{seen: map[string]bool{}}
	c.names(e.Subject)
	for _, r := range e.Resource {
		c.names(r)
	}
	c.json(e.Data, 0)
	return c.ids
}

// idCollector gathers instance ids in order, each once.
type idCollector struct {
	ids  []string
	seen map[string]bool
}

// json reads every string of the JSON data, in document order (object keys
// too: a key is never an instance id in practice, and reading one does no
// harm). depth counts the JSON texts held in strings on the way here.
func (c *idCollector) json(data []byte, depth int) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil { // io.EOF at the end; data was checked valid JSON
			return
		}
		s, ok := tok.(string)
		if !ok {
			continue
		}
		if t := strings.TrimSpace(s); depth < maxNestedJSON && t != "" && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
			c.json([]byte(t), depth+1)
			continue
		}
		c.names(s)
	}
}

// names reads s as a list of instance ids and six-segment names, separated
// by commas, semicolons or spaces.
func (c *idCollector) names(s string) {
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		id, ok := item, request.ValidInstanceID(item)
		if !ok {
			id, ok = instanceFromName(item)
		}
		if ok && !c.seen[id] {
			c.seen[id] = true
			c.ids = append(c.ids, id)
		}
	}
}

// instanceFromName returns the instance id of a CVM instance's six-segment
// resource name, qcs:<project>:cvm:<region>:<account>:instance/<id>.
func instanceFromName(name string) (string, bool) {
	parts := strings.SplitN(name, ":", 6)
	if len(parts) != 6 || parts[0] != "qcs" || parts[2] != "cvm" {
		return "", false
	}
	id, ok := strings.CutPrefix(parts[5], "instance/")
	return id, ok && request.ValidInstanceID(id)
}

// Target is the instances to apply the rules to in one region.
type Target struct {
	Region      string
	InstanceIDs []string
}

// cloudEventTargets groups the instances events name by region (the
// event's region, else defaultRegion), regions in the order first named,
// each instance once per region. No instance at all is not an error: the
// caller answers CodeNoInstances. A region that is not one, or none at all
// for an event that names instances, is refused. How many instances one
// invocation may handle (MAX_INSTANCES) is the plan's to check.
func Targets(evs []CloudEvent, defaultRegion string) ([]Target, *answer.Error) {
	var out []Target
	index := map[string]int{}
	seen := map[string]bool{} // region + " " + id
	for i, ev := range evs {
		ids := ev.InstanceIDs()
		if len(ids) == 0 {
			continue
		}
		what := KindEventBridge.describe()
		if len(evs) > 1 {
			what = fmt.Sprintf("the EventBridge batch's EventList[%d]", i)
		}
		region, from := ev.Region, "region"
		if region == "" {
			region, from = defaultRegion, "region (from TENCENTCLOUD_REGION)"
		}
		if region == "" {
			return nil, answer.Errorf(answer.CodeMissingParameter, "%s names no region; set TENCENTCLOUD_REGION", what)
		}
		if !request.ValidRegion(region) {
			return nil, answer.Errorf(answer.CodeInvalidParameterValue, "%s has the %s %s, which is not a region name; a region looks like ap-guangzhou", what, from, answer.Quote(region))
		}
		n, ok := index[region]
		if !ok {
			n = len(out)
			index[region] = n
			out = append(out, Target{Region: region})
		}
		for _, id := range ids {
			if !seen[region+" "+id] {
				seen[region+" "+id] = true
				out[n].InstanceIDs = append(out[n].InstanceIDs, id)
			}
		}
	}
	return out, nil
}
