package emulator

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attachBody is an AttachResourcesTag body for CVM instances of ap-guangzhou.
func attachBody(t *testing.T, key, value string, ids ...string) string {
	return jsonBody(t, map[string]any{
		"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceRegion": "ap-guangzhou",
		"ResourceIds": ids, "TagKey": key, "TagValue": value,
	})
}

// Tags written by AttachResourcesTag show in DescribeInstances and match
// its tag-key and tag:<key> filters; a second value replaces the first;
// DetachResourcesTag removes the key. Both are recorded.
func TestAttachAndDetachTags(t *testing.T) {
	v := newEnv(t)
	v.e.SetTags("ins-aaaa0002", Tag{"team", "web"})
	a := v.tag(t, ActionAttachResourcesTag, attachBody(t, "cvm-project:sg", "sg-5275dorp,sg-aaaa0001", "ins-aaaa0001", "ins-aaaa0002"))
	require.Empty(t, a.Code, a.Message)
	assert.NotEmpty(t, a.RequestID)

	l := decodeListing(t, v.describeTC3(t, `{"Filters":[{"Name":"tag-key","Values":["cvm-project:sg"]}]}`))
	assert.Equal(t, []string{"ins-aaaa0001", "ins-aaaa0002"}, l.ids())
	assert.Equal(t, []Tag{{"team", "web"}, {"cvm-project:sg", "sg-5275dorp,sg-aaaa0001"}}, l.InstanceSet[1].Tags)
	l = decodeListing(t, v.describeTC3(t, `{"Filters":[{"Name":"tag:cvm-project:sg","Values":["sg-5275dorp,sg-aaaa0001"]}]}`))
	assert.Equal(t, []string{"ins-aaaa0001", "ins-aaaa0002"}, l.ids())

	require.Empty(t, v.tag(t, ActionAttachResourcesTag, attachBody(t, "cvm-project:sg", "sg-aaaa0002", "ins-aaaa0001")).Code)
	in, _ := v.e.Instance("ins-aaaa0001")
	assert.Equal(t, []Tag{{"cvm-project:sg", "sg-aaaa0002"}}, in.Tags, "one value per key: replaced")

	a = v.tag(t, ActionDetachResourcesTag, jsonBody(t, map[string]any{
		"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceRegion": "ap-guangzhou",
		"ResourceIds": []string{"ins-aaaa0001", "ins-aaaa0002"}, "TagKey": "cvm-project:sg",
	}))
	require.Empty(t, a.Code, a.Message)
	l = decodeListing(t, v.describeTC3(t, `{"Filters":[{"Name":"tag-key","Values":["cvm-project:sg"]}]}`))
	assert.Empty(t, l.ids())
	in, _ = v.e.Instance("ins-aaaa0002")
	assert.Equal(t, []Tag{{"team", "web"}}, in.Tags, "other tags stay")
	in, _ = v.e.Instance("ins-aaaa0001")
	assert.Equal(t, "", in.LatestOperation, "a tag write is no CVM operation")

	var tagCalls []Call
	for _, c := range v.e.Calls() {
		if c.Endpoint == EndpointTag {
			tagCalls = append(tagCalls, c)
		}
	}
	require.Len(t, tagCalls, 3)
	assert.Equal(t, Call{Endpoint: EndpointTag, SignatureMethod: "TC3-HMAC-SHA256", Action: ActionAttachResourcesTag, Version: TagVersion,
		SecretID: permKey.SecretID, ServiceType: "cvm", ResourceRegion: "ap-guangzhou", ResourcePrefix: "instance",
		TagKey: "cvm-project:sg", TagValue: "sg-5275dorp,sg-aaaa0001", ResourceIDs: []string{"ins-aaaa0001", "ins-aaaa0002"},
		RequestID: tagCalls[0].RequestID}, tagCalls[0])
	assert.Equal(t, ActionDetachResourcesTag, tagCalls[2].Action)
}

// The Tag API takes v1 signatures too, with ResourceIds.N.
func TestAttachTagsV1(t *testing.T) {
	v := newEnv(t)
	a := v.callV1(t, permKey, PathTag, ActionAttachResourcesTag, TagVersion, "", map[string]string{
		"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceRegion": "ap-guangzhou",
		"ResourceIds.0": "ins-aaaa0001", "ResourceIds.1": "ins-aaaa0002", "TagKey": "owner", "TagValue": "ops",
	})
	require.Empty(t, a.Code, a.Message)
	for _, id := range []string{"ins-aaaa0001", "ins-aaaa0002"} {
		in, _ := v.e.Instance(id)
		assert.Equal(t, []Tag{{"owner", "ops"}}, in.Tags, id)
	}
}

// Each refusal of the Tag API's list, for its rule; nothing is written.
func TestTagWriteRefusals(t *testing.T) {
	ids51 := make([]string, 51)
	for i := range ids51 {
		ids51[i] = fmt.Sprintf("ins-t%07d", i+1)
	}
	base := func() map[string]any {
		return map[string]any{
			"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceRegion": "ap-guangzhou",
			"ResourceIds": []string{"ins-aaaa0001"}, "TagKey": "owner", "TagValue": "ops",
		}
	}
	tests := []struct {
		name   string
		action string
		edit   func(map[string]any)
		setup  func(*Emulator)
		want   string
	}{
		{"another service", ActionAttachResourcesTag, func(m map[string]any) { m["ServiceType"] = "cos" }, nil, CodeTagServiceType},
		{"no service", ActionAttachResourcesTag, func(m map[string]any) { delete(m, "ServiceType") }, nil, CodeMissingParameter},
		{"another prefix", ActionAttachResourcesTag, func(m map[string]any) { m["ResourcePrefix"] = "disk" }, nil, CodeTagResourcePrefix},
		{"no resources", ActionAttachResourcesTag, func(m map[string]any) { delete(m, "ResourceIds") }, nil, CodeMissingParameter},
		{"51 resources", ActionAttachResourcesTag, func(m map[string]any) { m["ResourceIds"] = ids51 }, nil, CodeTagResourcesPerRequest},
		{"empty key", ActionAttachResourcesTag, func(m map[string]any) { m["TagKey"] = "" }, nil, CodeTagKeyEmpty},
		{"reserved key qcs:", ActionAttachResourcesTag, func(m map[string]any) { m["TagKey"] = "qcs:owner" }, nil, CodeTagReservedKey},
		{"reserved key project", ActionAttachResourcesTag, func(m map[string]any) { m["TagKey"] = "project-x" }, nil, CodeTagReservedKey},
		{"key of 128 characters", ActionAttachResourcesTag, func(m map[string]any) { m["TagKey"] = strings.Repeat("k", 128) }, nil, CodeTagKeyTooLong},
		{"key with braces", ActionAttachResourcesTag, func(m map[string]any) { m["TagKey"] = "a{b}" }, nil, CodeTagKeyIllegal},
		{"key with a leading space", ActionAttachResourcesTag, func(m map[string]any) { m["TagKey"] = " owner" }, nil, CodeTagKeyIllegal},
		{"no value", ActionAttachResourcesTag, func(m map[string]any) { delete(m, "TagValue") }, nil, CodeMissingParameter},
		{"empty value", ActionAttachResourcesTag, func(m map[string]any) { m["TagValue"] = "" }, nil, CodeTagValueIllegal},
		{"value with quotes", ActionAttachResourcesTag, func(m map[string]any) { m["TagValue"] = `["sg-1"]` + `"` }, nil, CodeTagValueIllegal},
		{"value of 256 characters", ActionAttachResourcesTag, func(m map[string]any) { m["TagValue"] = strings.Repeat("v", 256) }, nil, CodeTagValueTooLong},
		{"no region", ActionAttachResourcesTag, func(m map[string]any) { delete(m, "ResourceRegion") }, nil, CodeTagRegionInvalid},
		{"unknown instance", ActionAttachResourcesTag, func(m map[string]any) { m["ResourceIds"] = []string{"ins-aaaa0001", "ins-nothere"} }, nil, CodeTagResourceIDInvalid},
		{"instance of another region", ActionAttachResourcesTag, nil, func(e *Emulator) {
			e.Modify("ins-aaaa0001", func(in *Instance) { in.Region = "ap-shanghai" })
		}, CodeTagResourceIDInvalid},
		{"51st tag of a resource", ActionAttachResourcesTag, nil, func(e *Emulator) {
			tags := make([]Tag, MaxResourceTags)
			for i := range tags {
				tags[i] = Tag{fmt.Sprintf("k%d", i), "v"}
			}
			e.SetTags("ins-aaaa0001", tags...)
		}, CodeTagResourceTagsExceeded},
		{"detach a key not attached", ActionDetachResourcesTag, func(m map[string]any) { delete(m, "TagValue") }, nil, CodeTagKeyNotAttached},
		{"detach a reserved key", ActionDetachResourcesTag, func(m map[string]any) { m["TagKey"] = "qcs:x" }, nil, CodeTagReservedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			if tt.setup != nil {
				tt.setup(v.e)
			}
			before, _ := v.e.Instance("ins-aaaa0001")
			m := base()
			if tt.edit != nil {
				tt.edit(m)
			}
			a := v.tag(t, tt.action, jsonBody(t, m))
			assert.Equal(t, tt.want, a.Code, a.Message)
			after, _ := v.e.Instance("ins-aaaa0001")
			assert.Equal(t, before.Tags, after.Tags, "nothing written")
		})
	}
}

// A 50-tag resource can still have one of its keys rewritten; 50
// resources is the most one call takes.
func TestTagLimitsAtTheEdge(t *testing.T) {
	v := newEnv(t)
	v.e.AddInstances(TaggedInstances("t", 1, 50, 0)...)
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf("ins-t%07d", i+1)
	}
	require.Empty(t, v.tag(t, ActionAttachResourcesTag, attachBody(t, "k0", "v", ids...)).Code)
	tags := make([]Tag, MaxResourceTags)
	for i := range tags {
		tags[i] = Tag{fmt.Sprintf("k%d", i), "v"}
	}
	v.e.SetTags("ins-aaaa0001", tags...)
	assert.Empty(t, v.tag(t, ActionAttachResourcesTag, attachBody(t, "k0", "new", "ins-aaaa0001")).Code)
	assert.Empty(t, v.tag(t, ActionAttachResourcesTag, attachBody(t, strings.Repeat("键", 127), strings.Repeat("值", 255), "ins-aaaa0002")).Code, "lengths count Unicode characters")
}

// The naming rules, as CheckTagKey and CheckTagValue give them.
func TestTagNamingRules(t *testing.T) {
	tests := []struct {
		text         string
		keyOK, valOK bool
	}{
		{"cvm-project:security-groups", true, true},
		{"sg-5275dorp,sg-aaaa0001;ins-1 (a)[b]<c>=d+e@f/g_h.i", true, true},
		{"环境 生产【一】：（二）", true, true},
		{"", false, false},
		{" lead", false, false},
		{"trail ", false, false},
		{"a{b}", false, false},
		{`a"b`, false, false},
		{"a#b", false, false},
		{"a|b", false, false},
		{"qcs:x", false, true},
		{"tencent-x", false, true},
		{strings.Repeat("x", 127), true, true},
		{strings.Repeat("x", 128), false, true},
		{strings.Repeat("x", 256), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			assert.Equal(t, tt.keyOK, CheckTagKey(tt.text) == nil, "key")
			assert.Equal(t, tt.valOK, CheckTagValue(tt.text) == nil, "value")
		})
	}
}

// The Tag API checks signatures as the CVM actions do, its TC3 scope
// naming "tag"; its writes count against their own rate, 20 a second.
func TestTagAPISignatureAndRate(t *testing.T) {
	v, c := newClockedEnv(t)
	body := attachBody(t, "owner", "ops", "ins-aaaa0001")
	a := v.callTC3(t, permKey, PathTag, Service, ActionAttachResourcesTag, TagVersion, "", body)
	assert.Equal(t, CodeSignatureFailure, a.Code, "a scope naming cvm")
	a = v.callTC3(t, unknownKey, PathTag, TagService, ActionAttachResourcesTag, TagVersion, "", body)
	assert.Equal(t, CodeSecretIDNotFound, a.Code)
	a = v.callTC3(t, permKey, PathTag, TagService, ActionAttachResourcesTag, "2017-03-12", "", body)
	assert.Equal(t, CodeNoSuchVersion, a.Code)
	a = v.callTC3(t, permKey, PathTag, TagService, Action, TagVersion, "", body)
	assert.Equal(t, CodeInvalidAction, a.Code, "the Tag API does not move instances")
	a = v.callTC3(t, tempKey, PathTag, TagService, ActionAttachResourcesTag, TagVersion, "", body)
	assert.Empty(t, a.Code, "a temporary key with its token")

	v.e.EnableRateLimits()
	for i := range 20 {
		require.Empty(t, v.tag(t, ActionAttachResourcesTag, body).Code, "call %d", i)
	}
	assert.Equal(t, CodeRequestLimitExceeded, v.tag(t, ActionAttachResourcesTag, body).Code)
	assert.Empty(t, v.move(t, 1045, "ins-aaaa0001").Code, "moves have their own rate")
	assert.Equal(t, map[string]int{ActionAttachResourcesTag: 1}, v.e.Throttled())
	c.advance(1e9)
	assert.Empty(t, v.tag(t, ActionAttachResourcesTag, body).Code, "the next second")
}

// ScriptAction scripts faults for one action's requests, on any endpoint;
// Script's faults stay on the CVM endpoints.
func TestScriptAction(t *testing.T) {
	v := newEnv(t)
	v.e.Script(Fault{Kind: FaultInternalServerError})
	v.e.ScriptAction(ActionDetachResourcesTag, Fault{Kind: FaultRequestLimitExceeded})
	require.Empty(t, v.tag(t, ActionAttachResourcesTag, attachBody(t, "owner", "ops", "ins-aaaa0001")).Code, "Script's fault is not for the Tag API")
	detach := jsonBody(t, map[string]any{"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceRegion": "ap-guangzhou", "ResourceIds": []string{"ins-aaaa0001"}, "TagKey": "owner"})
	assert.Equal(t, CodeRequestLimitExceeded, v.tag(t, ActionDetachResourcesTag, detach).Code)
	assert.Equal(t, CodeInternalServerError, v.move(t, 1045, "ins-aaaa0001").Code)
	assert.Empty(t, v.tag(t, ActionDetachResourcesTag, detach).Code)
}

// projectsAnswer is a decoded DescribeProjects answer.
type projectsAnswer struct {
	Total    int
	Projects []struct {
		ProjectId   int64
		ProjectName string
		CreatorUin  uint64
		ProjectInfo string
		CreateTime  string
	}
}

func (p projectsAnswer) ids() []int64 {
	var out []int64
	for _, x := range p.Projects {
		out = append(out, x.ProjectId)
	}
	return out
}

// DescribeProjects lists the account's projects with their names, two of
// which may share one, filtered by name or id, hidden ones with AllList 1.
func TestDescribeProjects(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		want      []int64
		wantTotal int
		wantCode  string
	}{
		{"all shown", `{"AllList":0,"Limit":1000,"Offset":0}`, []int64{1001, 1045, 1046}, 3, ""},
		{"with hidden", `{"AllList":1,"Limit":1000,"Offset":0}`, []int64{1001, 1045, 1046, 2000}, 4, ""},
		{"by name", `{"AllList":0,"Limit":1000,"Offset":0,"ProjectName":"prod"}`, []int64{1045}, 1, ""},
		{"an ambiguous name", `{"AllList":1,"Limit":1000,"Offset":0,"ProjectName":"shared"}`, []int64{1046, 2000}, 2, ""},
		{"an unknown name", `{"AllList":1,"Limit":1000,"Offset":0,"ProjectName":"nope"}`, nil, 0, ""},
		{"by id", `{"AllList":1,"Limit":1000,"Offset":0,"ProjectId":1001}`, []int64{1001}, 1, ""},
		{"a page", `{"AllList":1,"Limit":2,"Offset":1}`, []int64{1045, 1046}, 4, ""},
		{"past the end", `{"AllList":1,"Limit":2,"Offset":9}`, nil, 4, ""},
		{"no AllList", `{"Limit":1000,"Offset":0}`, nil, 0, CodeMissingParameter},
		{"no Limit", `{"AllList":0,"Offset":0}`, nil, 0, CodeMissingParameter},
		{"Limit too large", `{"AllList":0,"Limit":1001,"Offset":0}`, nil, 0, CodeInvalidParameter},
		{"AllList 2", `{"AllList":2,"Limit":1000,"Offset":0}`, nil, 0, CodeInvalidParameter},
		{"Offset a string", `{"AllList":0,"Limit":1000,"Offset":"x"}`, nil, 0, CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.e.AddProjects(
				Project{ID: 1045, Name: "prod", CreatorUin: 100000012345},
				Project{ID: 1001, Name: "test1", Info: "the example's", CreateTime: "2021-10-13 11:03:30"},
				Project{ID: 1046, Name: "shared"},
				Project{ID: 2000, Name: "shared", Hidden: true},
			)
			a := v.tag(t, ActionDescribeProjects, tt.body)
			require.Equal(t, tt.wantCode, a.Code, a.Message)
			if tt.wantCode != "" {
				return
			}
			var body struct{ Response projectsAnswer }
			require.NoError(t, json.Unmarshal([]byte(a.Body), &body))
			assert.Equal(t, tt.want, body.Response.ids())
			assert.Equal(t, tt.wantTotal, body.Response.Total)
			assert.NotNil(t, body.Response.Projects)
		})
	}
}

// DescribeProjects' answer has the documented shape, field for field.
func TestDescribeProjectsShape(t *testing.T) {
	v := newEnv(t)
	v.e.AddProjects(Project{ID: 1000101, Name: "test1", CreatorUin: 100000012345})
	a := v.callV1(t, permKey, PathTag, ActionDescribeProjects, TagVersion, "", map[string]string{"AllList": "0", "Limit": "1000", "Offset": "0"})
	require.Empty(t, a.Code, a.Message)
	assert.JSONEq(t, `{"Response":{"Total":1,"Projects":[{"ProjectId":1000101,"ProjectName":"test1","CreatorUin":100000012345,"ProjectInfo":"","CreateTime":"2021-10-13 11:03:30"}],"RequestId":"`+a.RequestID+`"}}`, a.Body)
}
