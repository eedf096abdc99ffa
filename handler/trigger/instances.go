package trigger

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
)

// maxNestedJSON bounds how deep walkJSON follows JSON text held in a
// string (CloudAudit's requestParameters), which holds JSON in turn.
const maxNestedJSON = 4

// Named is an instance an event names, with the region the event says it
// lives in ("" when the event says nothing of its own about it).
type Named struct {
	ID     string
	Region string
}

// Instances returns the instances the event names, each once, in the
// order named: CVM six-segment names in subject and resource; instance ids,
// such names, or comma/space lists of them anywhere in data (JSON text in a
// string included, as CloudAudit's requestParameters). Each carries its
// region: its own name's, else data's ResourceRegion, CVM name, Region or
// Zone, else "" (the event's region applies). Rules: docs/tag-rules.md#events-eventbridge.
func (e CloudEvent) Instances() []Named {
	c := idCollector{seen: map[string]int{}}
	c.names(e.Subject)
	for _, r := range e.Resource {
		c.names(r)
	}
	walkJSON(e.Data, "", 0, func(key string, _ jsonFrame, s string, text bool) {
		c.field(key, s)
		if !text {
			c.names(s)
		}
	})
	hint := cmp.Or(c.resourceRegion, c.nameRegion, c.fieldRegion, c.zoneRegion)
	for i := range c.out {
		if c.out[i].Region == "" {
			c.out[i].Region = hint
		}
	}
	return c.out
}

// idCollector gathers instances in order, each once, and what the event
// says of their regions.
type idCollector struct {
	out  []Named
	seen map[string]int // id → index in out

	resourceRegion string // of the first ResourceRegion field
	nameRegion     string // of the first CVM resource name
	fieldRegion    string // of the first Region, region or eventRegion field
	zoneRegion     string // of the first Zone or zone field
}

// jsonFrame is an object or array being read: key says the next token of
// an object is a key; field is the member it is the value of (for one held
// in an array or in a string, the field of that array or string).
type jsonFrame struct {
	object, key bool
	field       string
}

// walkJSON calls visit with every string value of data, valid JSON, in
// document order: the key last read in its JSON text, the object or array
// that holds it (one of field when data is a string), and whether it is JSON
// text (an object or an array), which walkJSON then follows, to
// maxNestedJSON texts deep. field is the member data is the value of.
func walkJSON(data []byte, field string, depth int, visit func(key string, in jsonFrame, s string, text bool)) {
	dec := json.NewDecoder(bytes.NewReader(data))
	root := jsonFrame{field: field}
	var stack []jsonFrame
	key := ""
	for {
		tok, err := dec.Token()
		if err != nil { // io.EOF at the end
			return
		}
		in := &root
		if len(stack) > 0 {
			in = &stack[len(stack)-1]
		}
		member := in.field // the field of the value tok starts
		if in.object {
			member = key
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				in.key = in.object // after this value, a key
				stack = append(stack, jsonFrame{object: d == '{', key: true, field: member})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if in.object {
			if in.key {
				key, _ = tok.(string)
				in.key = false
				continue
			}
			in.key = true
		}
		s, ok := tok.(string)
		if !ok {
			continue
		}
		t := strings.TrimSpace(s)
		text := depth < maxNestedJSON && t != "" && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t))
		visit(key, *in, s, text)
		if text {
			walkJSON([]byte(t), member, depth+1, visit)
		}
	}
}

// field notes the region a field named key gives, when it gives one.
func (c *idCollector) field(key, value string) {
	value = strings.TrimSpace(value)
	switch key {
	case "ResourceRegion", "resourceRegion":
		if c.resourceRegion == "" && request.ValidRegion(value) {
			c.resourceRegion = value
		}
	case "Region", "region", "eventRegion":
		if c.fieldRegion == "" && request.ValidRegion(value) {
			c.fieldRegion = value
		}
	case "Zone", "zone":
		if i := strings.LastIndexByte(value, '-'); c.zoneRegion == "" && i > 0 && request.ValidRegion(value[:i]) {
			c.zoneRegion = value[:i]
		}
	}
}

// names reads s as a list of instance ids and six-segment names, separated
// by commas, semicolons or spaces.
func (c *idCollector) names(s string) {
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		n, ok := Named{ID: item}, request.ValidInstanceID(item)
		if !ok {
			n, ok = c.instanceFromName(item)
		}
		if !ok {
			continue
		}
		i, seen := c.seen[n.ID]
		switch {
		case !seen:
			c.seen[n.ID] = len(c.out)
			c.out = append(c.out, n)
		case c.out[i].Region == "": // named by its bare id first: its name says where
			c.out[i].Region = n.Region
		}
	}
}

// instanceFromName returns the instance of a CVM instance's six-segment
// resource name, qcs:<project>:cvm:<region>:<account>:instance/<id>, with
// its region ("" when the name gives none that is valid). A CVM name that
// is no instance's (instance/*) still gives the event's region hint.
func (c *idCollector) instanceFromName(name string) (Named, bool) {
	parts := strings.SplitN(name, ":", 6)
	if len(parts) != 6 || parts[0] != "qcs" || parts[2] != "cvm" {
		return Named{}, false
	}
	region := parts[3]
	if !request.ValidRegion(region) {
		region = ""
	}
	if c.nameRegion == "" {
		c.nameRegion = region
	}
	id, ok := strings.CutPrefix(parts[5], "instance/")
	return Named{ID: id, Region: region}, ok && request.ValidInstanceID(id)
}

// Target is the instances to apply the rules to in one region.
type Target struct {
	Region      string
	InstanceIDs []string
}

// Targets groups the instances evs name by region (Instances', else the
// event's, else defaultRegion), regions and ids in first-named order, each id
// once per region. A missing or malformed region is refused
// (MissingParameter, InvalidParameterValue); no instance is not an error.
func Targets(evs []CloudEvent, defaultRegion string) ([]Target, *answer.Error) {
	var out []Target
	index := map[string]int{}
	seen := map[string]bool{} // region + " " + id
	for i, ev := range evs {
		named := ev.Instances()
		if len(named) == 0 {
			continue
		}
		what := eventOf[KindEventBridge]
		if len(evs) > 1 {
			what = fmt.Sprintf("the EventBridge batch's EventList[%d]", i)
		}
		for _, n := range named {
			region := n.Region
			if region == "" {
				var err *answer.Error
				if region, err = eventRegion(ev, what, defaultRegion); err != nil {
					return nil, err
				}
			}
			k, ok := index[region]
			if !ok {
				k = len(out)
				index[region] = k
				out = append(out, Target{Region: region})
			}
			if !seen[region+" "+n.ID] {
				seen[region+" "+n.ID] = true
				out[k].InstanceIDs = append(out[k].InstanceIDs, n.ID)
			}
		}
	}
	return out, nil
}

// eventRegion is the event's region, else defaultRegion; what names the
// event in a refusal.
func eventRegion(ev CloudEvent, what, defaultRegion string) (string, *answer.Error) {
	region, from := ev.Region, "region"
	if region == "" {
		region, from = defaultRegion, "region (from TENCENTCLOUD_REGION)"
	}
	if region == "" {
		return "", answer.Errorf(answer.CodeMissingParameter, "%s names no region; set TENCENTCLOUD_REGION", what)
	}
	if !request.ValidRegion(region) {
		return "", answer.Errorf(answer.CodeInvalidParameterValue, "%s has the %s %s, which is not a region name; a region looks like ap-guangzhou", what, from, answer.Quote(region))
	}
	return region, nil
}
