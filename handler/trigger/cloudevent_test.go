package trigger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isRulesSample reports whether a sample is a request for the tag rules
// (rules-*.json) or an EventBridge delivery (eventbridge-*.json).
func isRulesSample(name string) bool {
	return strings.HasPrefix(name, "rules-") || strings.HasPrefix(name, "eventbridge-")
}

// What each EventBridge sample holds: its events (Data left out), the
// instances each names, and the targets of the delivery.
var sampleCloudEvents = map[string]struct {
	events  []CloudEvent
	ids     [][]string
	targets []Target
}{
	"eventbridge-tag.json": {
		events: []CloudEvent{{SpecVersion: "1.0", ID: "5f1e6a2c-8b3d-4e7f-9a0b-1c2d3e4f5a6b", Type: "tag:CloudEvent:ConsoleCall", Source: "tag.cloud.tencent",
			Subject: "qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-00000161", Time: "1716170400123", Region: "ap-guangzhou",
			Resource: []string{"qcs::eb:ap-guangzhou:uid1250000000:eventbusid/eb-3kq8c1xz/eventruleid/rule-5v2m0n7p"}}},
		ids:     [][]string{{"ins-00000161"}},
		targets: []Target{{"ap-guangzhou", []string{"ins-00000161"}}},
	},
	"eventbridge-modify-tags.json": { // "subjuect", a time in a string, requestParameters as an object
		events: []CloudEvent{{SpecVersion: "1.0", ID: "8c0d2e4f-6a1b-4c3d-8e5f-7a9b0c1d2e3f", Type: "tag:CloudEvent:ApiCall", Source: "tag.cloud.tencent",
			Subject: "qcs::tag:ap-guangzhou:uin/100000000001:tag", Time: "1716171000456", Region: "ap-guangzhou"}},
		ids:     [][]string{{"ins-00000162"}},
		targets: []Target{{"ap-guangzhou", []string{"ins-00000162"}}},
	},
	"eventbridge-runinstances.json": { // the ids only in responseElements, JSON in a string
		events: []CloudEvent{{SpecVersion: "1.0", ID: "1b7e3c5d-9f2a-4e6b-8d0c-2a4b6c8d0e1f", Type: "cvm:CloudEvent:ApiCall", Source: "cvm.cloud.tencent",
			Subject: "qcs::cvm:ap-guangzhou:uin/100000000001:instance/*", Time: "1716172200789", Region: "ap-guangzhou",
			Resource: []string{"qcs::eb:ap-guangzhou:uid1250000000:eventbusid/eb-3kq8c1xz/eventruleid/rule-5v2m0n7p"}}},
		ids:     [][]string{{"ins-00000163", "ins-00000164"}},
		targets: []Target{{"ap-guangzhou", []string{"ins-00000163", "ins-00000164"}}},
	},
	"eventbridge-alarm.json": { // a monitoring event: "subjuect" and data.instanceId, resource a string
		events: []CloudEvent{{SpecVersion: "1.0", ID: "2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3d5f7a", Type: "cvm:ErrorEvent:GuestReboot", Source: "cvm.cloud.tencent",
			Subject: "qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-00000165", Time: "1716173400000", Region: "ap-guangzhou",
			Resource: []string{"qcs::eb:ap-guangzhou:uid1250000000:eventbusid/eb-3kq8c1xz/eventruleid/rule-9x4k2m6q"}}},
		ids:     [][]string{{"ins-00000165"}},
		targets: []Target{{"ap-guangzhou", []string{"ins-00000165"}}},
	},
	"eventbridge-batch.json": { // two regions
		events: []CloudEvent{
			{SpecVersion: "1.0", ID: "6d8f0b2d-4f6a-4c8e-a0b2-c4e6a8c0e2a4", Type: "tag:CloudEvent:ConsoleCall", Source: "tag.cloud.tencent",
				Subject: "qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-00000166", Time: "1716174000111", Region: "ap-guangzhou"},
			{SpecVersion: "1.0", ID: "7e9a1c3e-5a7b-4d9f-b1c3-d5f7b9d1f3b5", Type: "cvm:ErrorEvent:GuestReboot", Source: "cvm.cloud.tencent",
				Subject: "qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-00000167", Time: "1716174000222", Region: "ap-guangzhou"},
			{SpecVersion: "1.0", ID: "8f0b2d4f-6b8c-4e0a-c2d4-e6a8c0e2a4c6", Type: "tag:CloudEvent:ApiCall", Source: "tag.cloud.tencent",
				Subject: "qcs::tag:ap-shanghai:uin/100000000001:tag", Time: "1716174000333", Region: "ap-shanghai"},
		},
		ids:     [][]string{{"ins-00000166"}, {"ins-00000167"}, {"ins-00000168"}},
		targets: []Target{{"ap-guangzhou", []string{"ins-00000166", "ins-00000167"}}, {"ap-shanghai", []string{"ins-00000168"}}},
	},
	"eventbridge-no-instance.json": { // a COS event
		events: []CloudEvent{{SpecVersion: "1.0", ID: "9a1c3e5a-7c9d-4f1b-d3e5-f7b9d1f3b5d7", Type: "cos:created:object", Source: "cos.cloud.tencent",
			Subject: "qcs::cos:ap-guangzhou:uid1250000000:examplebucket-1250000000/photos/cat.jpg", Time: "1716174600444", Region: "ap-guangzhou"}},
		ids:     [][]string{nil},
		targets: nil,
	},
}

// Every EventBridge sample decodes to its events, names its instances, and
// groups them by region; a sample without an expectation here fails.
func TestCloudEventSamples(t *testing.T) {
	n := 0
	for name, payload := range sampleFiles(t) {
		if !strings.HasPrefix(name, "eventbridge-") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			want, ok := sampleCloudEvents[name]
			require.True(t, ok, "no expectation for sample %s", name)
			ev, err := Decode(payload)
			require.Nil(t, err)
			require.Equal(t, KindEventBridge, ev.Kind)
			require.Len(t, ev.CloudEvents, len(want.events))
			for i, got := range ev.CloudEvents {
				assert.NotEmpty(t, got.Data, "event %d keeps its data", i)
				assert.Equal(t, want.ids[i], namedIDs(got.Instances()), "event %d", i)
				got.Data = nil
				assert.Equal(t, want.events[i], got, "event %d", i)
			}
			targets, err := Targets(ev.CloudEvents, "ap-singapore")
			require.Nil(t, err)
			assert.Equal(t, want.targets, targets)
		})
	}
	assert.Equal(t, len(sampleCloudEvents), n, "every expectation has a sample")
}

func TestCloudEventInstanceIDs(t *testing.T) {
	const name = "qcs::cvm:ap-guangzhou:uin/100000000001:instance/"
	tests := []struct {
		name string
		ev   CloudEvent
		want []string
	}{
		{"subject", CloudEvent{Subject: name + "ins-abcd1234"}, []string{"ins-abcd1234"}},
		{"subject, another project segment", CloudEvent{Subject: "qcs:0:cvm:ap-guangzhou:uin/1:instance/ins-abcd1234"}, []string{"ins-abcd1234"}},
		{"resource list", CloudEvent{Resource: []string{"qcs::eb:ap-guangzhou:uid1:eventbusid/eb-1/eventruleid/r-1", name + "ins-abcd1234"}}, []string{"ins-abcd1234"}},
		{"data.instanceId", CloudEvent{Data: []byte(`{"instanceId":"ins-abcd1234","projectId":"0"}`)}, []string{"ins-abcd1234"}},
		{"a comma-separated resourceName", CloudEvent{Data: []byte(`{"resourceName":"ins-abcd1234, ins-abcd5678"}`)}, []string{"ins-abcd1234", "ins-abcd5678"}},
		{"InstanceIds in requestParameters as JSON text", CloudEvent{Data: []byte(`{"requestParameters":"{\"InstanceIds\":[\"ins-abcd1234\",\"ins-abcd5678\"],\"ProjectId\":3}"}`)}, []string{"ins-abcd1234", "ins-abcd5678"}},
		{"TagResources' ResourceList", CloudEvent{Data: []byte(`{"requestParameters":{"ResourceList":["` + name + `ins-abcd1234","qcs::cvm:ap-guangzhou:uin/1:image/img-abcd1234"]}}`)}, []string{"ins-abcd1234"}},
		{"the data itself a JSON string", CloudEvent{Data: []byte(`"{\"instanceId\":\"ins-abcd1234\"}"`)}, []string{"ins-abcd1234"}},
		{"each once, in the order named", CloudEvent{Subject: name + "ins-bbbb0002", Data: []byte(`{"a":["ins-aaaa0001","ins-bbbb0002"],"b":"ins-aaaa0001"}`)}, []string{"ins-bbbb0002", "ins-aaaa0001"}},
		{"not instances", CloudEvent{
			Subject: "qcs::cos:ap-guangzhou:uid1:bucket/ins-abcd1234",
			Data:    []byte(`{"imageId":"img-abcd1234","x":"ins-ABCD1234","y":"ins-abcd123","z":"my ins-abcd1234x","n":12345678,"w":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-bad"}`)}, nil},
		{"an id among words is read", CloudEvent{Data: []byte(`{"m":"instance ins-abcd1234 rebooted"}`)}, []string{"ins-abcd1234"}},
		{"no data", CloudEvent{}, nil},
		{"JSON nested too deep is not read", CloudEvent{Data: []byte(nestJSON(`{"id":"ins-abcd1234"}`, maxNestedJSON+1))}, nil},
		{"JSON nested to the limit is read", CloudEvent{Data: []byte(nestJSON(`{"id":"ins-abcd1234"}`, maxNestedJSON))}, []string{"ins-abcd1234"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, namedIDs(tt.ev.Instances()))
		})
	}
}

// nestJSON wraps the JSON text inner in n levels of {"p": "<JSON text>"}.
func nestJSON(inner string, n int) string {
	for range n {
		b, _ := json.Marshal(inner)
		inner = `{"p":` + string(b) + `}`
	}
	return inner
}

func TestDecodeCloudEventRejects(t *testing.T) {
	tests := []struct {
		name, payload string
		message       []string
	}{
		{"specversion a number", `{"specversion":1.0}`, []string{"EventBridge event", "specversion", "want a string"}},
		{"subject an object", `{"specversion":"1.0","subject":{}}`, []string{"subject", "want a string"}},
		{"subjuect a number", `{"specversion":"1.0","subjuect":3}`, []string{"subject", "want a string"}},
		{"region an array", `{"specversion":"1.0","region":["ap-guangzhou"]}`, []string{"region", "want a string"}},
		{"time a boolean", `{"specversion":"1.0","time":true}`, []string{"time", "a string or a number"}},
		{"resource a number", `{"specversion":"1.0","resource":1}`, []string{"resource", "want an array"}},
		{"resource of numbers", `{"specversion":"1.0","resource":[1]}`, []string{"resource", "want a string"}},
		{"EventList an object", `{"EventList":{"specversion":"1.0"}}`, []string{"EventList", "want an array"}},
		{"an event of the batch a string", `{"EventList":[{"specversion":"1.0"},"x"]}`, []string{"EventList[1]", "must be a JSON object"}},
		{"an event of the batch with a bad field", `{"EventList":[{"specversion":"1.0","region":7}]}`, []string{"EventList[0]", "region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(tt.payload))
			require.NotNil(t, err)
			assert.Equal(t, Event{}, ev)
			assert.Equal(t, answer.CodeInvalidParameter, err.Code)
			for _, m := range tt.message {
				assert.Contains(t, err.Message, m)
			}
		})
	}
}

func TestCloudEventTargets(t *testing.T) {
	ev := func(region, subject string) CloudEvent {
		return CloudEvent{Region: region, Subject: subject}
	}
	// Bare ids: the event's region applies. Names: theirs.
	a, b := "ins-aaaa0001", "ins-bbbb0002"
	bj, sh := "qcs::cvm:ap-beijing:uin/1:instance/ins-aaaa0001", "qcs::cvm:ap-shanghai:uin/1:instance/ins-bbbb0002"
	tests := []struct {
		name     string
		evs      []CloudEvent
		def      string
		want     []Target
		wantCode string
		wantMsg  string
	}{
		{"the event's region", []CloudEvent{ev("ap-shanghai", a)}, "ap-guangzhou", []Target{{"ap-shanghai", []string{"ins-aaaa0001"}}}, "", ""},
		{"else the function's", []CloudEvent{ev("", a)}, "ap-guangzhou", []Target{{"ap-guangzhou", []string{"ins-aaaa0001"}}}, "", ""},
		{"one instance twice in a region once", []CloudEvent{ev("ap-guangzhou", a), ev("", a), ev("ap-guangzhou", b)}, "ap-guangzhou",
			[]Target{{"ap-guangzhou", []string{"ins-aaaa0001", "ins-bbbb0002"}}}, "", ""},
		{"regions in the order named", []CloudEvent{ev("ap-shanghai", b), ev("ap-guangzhou", a), ev("ap-shanghai", a)}, "",
			[]Target{{"ap-shanghai", []string{"ins-bbbb0002", "ins-aaaa0001"}}, {"ap-guangzhou", []string{"ins-aaaa0001"}}}, "", ""},
		{"events without instances need no region", []CloudEvent{ev("", ""), ev("nowhere", "")}, "", nil, "", ""},
		{"a name's region wins over the event's", []CloudEvent{ev("ap-shanghai", bj)}, "ap-guangzhou", []Target{{"ap-beijing", []string{"ins-aaaa0001"}}}, "", ""},
		{"a name's region needs no other", []CloudEvent{ev("", bj)}, "", []Target{{"ap-beijing", []string{"ins-aaaa0001"}}}, "", ""},
		{"one delivery, two regions", []CloudEvent{ev("ap-guangzhou", bj+","+sh)}, "", []Target{{"ap-beijing", []string{"ins-aaaa0001"}}, {"ap-shanghai", []string{"ins-bbbb0002"}}}, "", ""},
		{"one event, a name and a bare id: the name's region for both", []CloudEvent{ev("ap-guangzhou", sh+" ins-cccc0003")}, "",
			[]Target{{"ap-shanghai", []string{"ins-bbbb0002", "ins-cccc0003"}}}, "", ""},
		{"a bad event region is not read for a name", []CloudEvent{ev("Guangzhou", bj)}, "", []Target{{"ap-beijing", []string{"ins-aaaa0001"}}}, "", ""},
		{"no region at all", []CloudEvent{ev("", a)}, "", nil, answer.CodeMissingParameter, "TENCENTCLOUD_REGION"},
		{"a bad region", []CloudEvent{ev("", b), ev("Guangzhou", a)}, "ap-guangzhou", nil, answer.CodeInvalidParameterValue, `EventList[1] has the region "Guangzhou"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Targets(tt.evs, tt.def)
			if tt.wantCode != "" {
				require.NotNil(t, err)
				assert.Equal(t, tt.wantCode, err.Code)
				assert.Contains(t, err.Message, tt.wantMsg)
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCloudEventTargetsNameEveryInstance(t *testing.T) {
	var data strings.Builder
	data.WriteString(`{"ids":"`)
	for i := range request.MaxInstanceIDs + 1 {
		if i > 0 {
			data.WriteByte(',')
		}
		data.WriteString(ids(i+1, i+1)[0])
	}
	data.WriteString(`"}`)
	targets, err := Targets([]CloudEvent{{Data: []byte(data.String())}}, "ap-guangzhou")
	require.Nil(t, err, "MAX_INSTANCES is the plan's to apply (handler.planEvents)")
	require.Len(t, targets, 1)
	assert.Len(t, targets[0].InstanceIDs, request.MaxInstanceIDs+1)
}

// FuzzCloudEvent: decoding an EventBridge delivery never panics; every id
// it names is well-formed and every target's region a region.
func FuzzCloudEvent(f *testing.F) {
	for name, b := range sampleFiles(f) {
		if strings.HasPrefix(name, "eventbridge-") {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"specversion":"1.0","data":"{\"a\":\"[\\\"ins-aaaa0001\\\"]\"}"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := Decode(payload)
		if err != nil || ev.Kind != KindEventBridge {
			return
		}
		for _, ce := range ev.CloudEvents {
			for _, id := range namedIDs(ce.Instances()) {
				assert.True(t, request.ValidInstanceID(id), id)
			}
		}
		targets, terr := Targets(ev.CloudEvents, "ap-guangzhou")
		if terr != nil {
			assertRefusal(t, terr)
			return
		}
		for _, tg := range targets {
			assert.True(t, request.ValidRegion(tg.Region))
			assert.NotEmpty(t, tg.InstanceIDs)
		}
	})
}

// Wherever an event says where an instance lives, that region is the
// instance's: its own name first, then what the data says of the
// resources it names, else "" (the event's region applies).
func TestCloudEventInstanceRegions(t *testing.T) {
	tests := []struct {
		name string
		ev   CloudEvent
		want []Named
	}{
		{"subject", CloudEvent{Region: "ap-shanghai", Subject: "qcs::cvm:ap-beijing:uin/1:instance/ins-00000008"}, []Named{{"ins-00000008", "ap-beijing"}}},
		{"resource", CloudEvent{Resource: []string{"qcs::eb:ap-shanghai:uid1:eventbusid/eb-1", "qcs::cvm:ap-chengdu:uin/1:instance/ins-00000008"}}, []Named{{"ins-00000008", "ap-chengdu"}}},
		{"TagResources: one call, two regions", CloudEvent{Region: "ap-guangzhou", Data: []byte(`{"eventRegion":"ap-guangzhou","requestParameters":{"ResourceList":["qcs::cvm:ap-beijing:uin/1:instance/ins-00000001","qcs::cvm:ap-shanghai:uin/1:instance/ins-00000002"]}}`)},
			[]Named{{"ins-00000001", "ap-beijing"}, {"ins-00000002", "ap-shanghai"}}},
		{"a name in JSON text", CloudEvent{Data: []byte(`{"requestParameters":"{\"Resource\":\"qcs::cvm:ap-beijing:uin/1:instance/ins-00000001\"}"}`)}, []Named{{"ins-00000001", "ap-beijing"}}},
		{"a bare id, then its name", CloudEvent{Data: []byte(`{"instanceId":"ins-00000001","resourceName":"qcs::cvm:ap-beijing:uin/1:instance/ins-00000001"}`)}, []Named{{"ins-00000001", "ap-beijing"}}},
		{"RunInstances: the wildcard subject's region", CloudEvent{Region: "ap-shanghai", Subject: "qcs::cvm:ap-beijing:uin/1:instance/*", Data: []byte(`{"responseElements":"{\"InstanceIdSet\":[\"ins-00000001\"]}"}`)}, []Named{{"ins-00000001", "ap-beijing"}}},
		{"CloudAudit's eventRegion", CloudEvent{Region: "ap-shanghai", Data: []byte(`{"eventRegion":"ap-beijing","responseElements":{"InstanceIdSet":["ins-00000001"]}}`)}, []Named{{"ins-00000001", "ap-beijing"}}},
		{"AttachResourcesTag: ResourceRegion, not where the call was made", CloudEvent{Region: "ap-guangzhou", Data: []byte(`{"eventName":"AttachResourcesTag","eventRegion":"ap-guangzhou","requestParameters":"{\"Region\":\"ap-guangzhou\",\"ServiceType\":\"cvm\",\"ResourcePrefix\":\"instance\",\"ResourceIds\":[\"ins-00000001\",\"ins-00000002\"],\"TagKey\":\"env\",\"TagValue\":\"prod\",\"ResourceRegion\":\"ap-beijing\"}"}`)},
			[]Named{{"ins-00000001", "ap-beijing"}, {"ins-00000002", "ap-beijing"}}},
		{"DetachResourcesTag: ResourceRegion", CloudEvent{Region: "ap-shanghai", Data: []byte(`{"eventRegion":"ap-shanghai","requestParameters":{"ServiceType":"cvm","ResourceIds":["ins-00000001"],"TagKey":"env","ResourceRegion":"ap-chengdu","ResourcePrefix":"instance"}}`)},
			[]Named{{"ins-00000001", "ap-chengdu"}}},
		{"ModifyResourcesTagValue: ResourceRegion, the form's flattened ResourceIds.N", CloudEvent{Data: []byte(`{"requestParameters":{"ResourceIds.0":"ins-00000001","ResourceRegion":"ap-nanjing","TagKey":"env","TagValue":"dev"}}`)},
			[]Named{{"ins-00000001", "ap-nanjing"}}},
		{"a ResourceRegion that is no region is not read", CloudEvent{Data: []byte(`{"eventRegion":"ap-beijing","requestParameters":{"ResourceIds":["ins-00000001"],"ResourceRegion":"moon"}}`)},
			[]Named{{"ins-00000001", "ap-beijing"}}},
		{"an instance's own name over ResourceRegion", CloudEvent{Data: []byte(`{"ResourceRegion":"ap-beijing","Resource":"qcs::cvm:ap-chengdu:uin/1:instance/ins-00000001"}`)},
			[]Named{{"ins-00000001", "ap-chengdu"}}},
		{"a Region field", CloudEvent{Data: []byte(`{"requestParameters":{"Region":"ap-chengdu","InstanceIds":["ins-00000001"]}}`)}, []Named{{"ins-00000001", "ap-chengdu"}}},
		{"a Zone", CloudEvent{Data: []byte(`{"requestParameters":"{\"Placement\":{\"Zone\":\"ap-beijing-3\"}}","responseElements":"{\"InstanceIdSet\":[\"ins-00000001\"]}"}`)}, []Named{{"ins-00000001", "ap-beijing"}}},
		{"a field named region that is no region", CloudEvent{Data: []byte(`{"region":"moon","instanceId":"ins-00000001"}`)}, []Named{{"ins-00000001", ""}}},
		{"a key is not a value", CloudEvent{Data: []byte(`{"ap-beijing":"x","instanceId":"ins-00000001"}`)}, []Named{{"ins-00000001", ""}}},
		{"nothing said: the event's", CloudEvent{Region: "ap-shanghai", Data: []byte(`{"instanceId":"ins-00000001"}`)}, []Named{{"ins-00000001", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.ev.Instances())
		})
	}
}

// The case of issue 12 (e2e/testdata/cases): an event of ap-shanghai that
// names an instance of ap-beijing by its name is listed in ap-beijing.
func TestTheResourceRegionCase(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join("..", "..", "e2e", "testdata", "cases", "01-eb-resource-region-ignored.json"))
	require.NoError(t, err)
	ev, derr := Decode(payload)
	require.Nil(t, derr)
	targets, terr := Targets(ev.CloudEvents, "ap-guangzhou")
	require.Nil(t, terr)
	assert.Equal(t, []Target{{"ap-beijing", []string{"ins-00000008"}}}, targets)
}

// namedIDs returns the ids of named, in order.
func namedIDs(named []Named) []string {
	var out []string
	for _, n := range named {
		out = append(out, n.ID)
	}
	return out
}
