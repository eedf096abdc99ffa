package trigger

import (
	"encoding/json"
	"strings"
)

// WritesOnlyTag reports whether e is a tag write (a CloudAudit event of
// the Tag API: AttachResourcesTag, AddResourceTag, ModifyResourceTags,
// TagResources, ...) every tag key of which is key: the function's own
// record, which comes back through EventBridge and needs no listing and
// no move. The keys are the TagKey members (and the Key members of a Tags
// list's objects) of the event's requestParameters, at any depth, JSON text
// included (walkJSON).
func (e CloudEvent) WritesOnlyTag(key string) bool {
	var data struct {
		EventSource       string          `json:"eventSource"`
		RequestParameters json.RawMessage `json:"requestParameters"`
	}
	if json.Unmarshal(e.Data, &data) != nil || !strings.HasPrefix(data.EventSource, "tag.") {
		return false
	}
	found, only := false, true
	walkJSON(data.RequestParameters, "", 0, func(name string, in jsonFrame, s string, _ bool) {
		if in.object && (name == "TagKey" || name == "Key" && strings.HasSuffix(in.field, "Tags")) {
			found, only = true, only && s == key
		}
	})
	return found && only
}
