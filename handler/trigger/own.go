package trigger

import (
	"encoding/json"
	"strings"
)

// WritesOnlyTag reports whether e is a CloudAudit event of a Tag API write
// (eventSource tag.*) all of whose tag keys are key: the function's own
// record coming back, which needs no listing or move. The keys are the
// TagKey members, and the Key members in a Tags list, of requestParameters
// at any depth (walkJSON).
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
