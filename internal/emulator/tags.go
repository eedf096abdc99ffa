package emulator

import (
	"fmt"
	"slices"
)

// Tag is one of an instance's tags. An instance has at most one value per key.
type Tag struct {
	Key, Value string
}

// tagValue returns the value of the tag key and whether the instance has it.
func (in Instance) tagValue(key string) (string, bool) {
	for _, t := range in.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// clone returns in with its own copy of Tags and SecurityGroupIDs.
func (in Instance) clone() Instance {
	in.Tags = slices.Clone(in.Tags)
	in.SecurityGroupIDs = slices.Clone(in.SecurityGroupIDs)
	return in
}

// SetTags replaces the tags of the instance id, as tagging it in the
// console would; it reports whether the instance is in the table.
func (e *Emulator) SetTags(id string, tags ...Tag) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	in, ok := e.instances[id]
	if !ok {
		return false
	}
	in.Tags = slices.Clone(tags)
	e.instances[id] = in
	return true
}

// TaggedInstances returns n instances named ins-<prefix><number> (the
// prefix and the zero-padded number make 8 characters), numbered from
// first, in project, with tags.
func TaggedInstances(prefix string, first, n int, project int64, tags ...Tag) []Instance {
	width := 8 - len(prefix)
	out := make([]Instance, n)
	for i := range out {
		out[i] = Instance{ID: fmt.Sprintf("ins-%s%0*d", prefix, width, first+i), ProjectID: project, Tags: slices.Clone(tags)}
	}
	return out
}
