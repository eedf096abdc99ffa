package trigger

import (
	"encoding/json"
	"strings"
)

// WritesOnlyTag reports whether e is a tag write (a CloudAudit event of
// the Tag API: AttachResourcesTag, AddResourceTag, ModifyResourceTags,
// TagResources, ...) every tag key of which is key: the function's own
// record, which comes back through EventBridge and needs no listing and
// no move. The keys are the TagKey fields (and a Tags list's Key fields) of
// the event's requestParameters, at any depth, JSON text included.
func (e CloudEvent) WritesOnlyTag(key string) bool {
	var data struct {
		EventSource       string          `json:"eventSource"`
		RequestParameters json.RawMessage `json:"requestParameters"`
	}
	if json.Unmarshal(e.Data, &data) != nil || !strings.HasPrefix(data.EventSource, "tag.") {
		return false
	}
	var keys []string
	collectTagKeys(data.RequestParameters, false, &keys, 0)
	for _, k := range keys {
		if k != key {
			return false
		}
	}
	return len(keys) > 0
}

// collectTagKeys appends to keys the values of the TagKey fields of raw
// (and of Key fields inside a Tags list), following JSON text in strings.
func collectTagKeys(raw json.RawMessage, inTags bool, keys *[]string, depth int) {
	if depth > maxNestedJSON {
		return
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if t := strings.TrimSpace(text); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			collectTagKeys(json.RawMessage(t), inTags, keys, depth+1)
		}
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		for name, v := range obj {
			var s string
			if (name == "TagKey" || (inTags && name == "Key")) && json.Unmarshal(v, &s) == nil {
				*keys = append(*keys, s)
				continue
			}
			collectTagKeys(v, strings.HasSuffix(name, "Tags"), keys, depth+1)
		}
		return
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for _, v := range list {
			collectTagKeys(v, inTags, keys, depth+1)
		}
	}
}
