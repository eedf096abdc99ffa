package trigger

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWritesOnlyTag(t *testing.T) {
	const own = "cvm-project-mover:security-groups"
	event := func(source, params string) CloudEvent {
		data, _ := json.Marshal(map[string]any{"eventSource": source, "eventName": "AttachResourcesTag", "requestParameters": params})
		return CloudEvent{Data: data}
	}
	tests := []struct {
		name string
		e    CloudEvent
		want bool
	}{
		{"our record written", event("tag.tencentcloudapi.com", `{"TagKey":"`+own+`","TagValue":"sg-aaaaaaaa","ResourceIds":["ins-00000001"]}`), true},
		{"our record removed", event("tag.tencentcloudapi.com", `{"TagKey":"`+own+`","ResourceIds":["ins-00000001"]}`), true},
		{"a rule's tag", event("tag.tencentcloudapi.com", `{"TagKey":"env","TagValue":"prod"}`), false},
		{"ours and another in one write", event("tag.tencentcloudapi.com", `{"Tags":[{"Key":"`+own+`"},{"Key":"env"}]}`), false},
		{"a ModifyResourceTags of ours only", event("tag.tencentcloudapi.com", `{"ReplaceTags":[{"TagKey":"`+own+`","TagValue":"x"}]}`), true},
		{"a TagResources of ours only", event("tag.tencentcloudapi.com", `{"ResourceList":["qcs::cvm:ap-guangzhou:uin/1:instance/ins-00000001"],"Tags":[{"Key":"`+own+`","Value":"x"}]}`), true},
		{"a Key outside a Tags list is no tag key", event("tag.tencentcloudapi.com", `{"Key":"env","TagKey":"`+own+`"}`), true},
		{"a Tags list in JSON text", event("tag.tencentcloudapi.com", `{"Tags":"[{\"Key\":\"env\"}]","TagKey":"`+own+`"}`), false},
		{"another key at any depth", event("tag.tencentcloudapi.com", `{"a":{"b":{"c":{"d":{"TagKey":"env"}}}},"TagKey":"`+own+`"}`), false},
		{"not the Tag API", event("cvm.tencentcloudapi.com", `{"TagKey":"`+own+`"}`), false},
		{"no tag key", event("tag.tencentcloudapi.com", `{}`), false},
		{"no data", CloudEvent{}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.e.WritesOnlyTag(own), tt.name)
	}
}
