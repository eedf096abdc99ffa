package answer

import "encoding/json"

// MaxAnswerBytes is the most an answer weighs: SCF returns at most 6 MB of
// a synchronous invocation (SCF documentation, 583/11637, "Limits"); the
// rest is the HTTP envelope's margin.
const MaxAnswerBytes = 5 << 20

// keepInFull is how many entries of Failed and SecurityGroups a compact
// answer keeps whole, with their messages.
const keepInFull = 100

// Group is a compact answer's record of every instance that ended with
// Code (and, for security groups, Restored): one message for all of them.
type Group struct {
	Code        string   `json:"Code"`
	Restored    *bool    `json:"Restored,omitempty"` // SecurityGroupsByCode only
	Message     string   `json:"Message"`            // the first instance's
	InstanceIds []string `json:"InstanceIds"`
}

// compacted returns the JSON of a, over MaxAnswerBytes, with Failed and
// SecurityGroups cut to keepInFull entries and every instance of them listed
// by code (FailedByCode, SecurityGroupsByCode) without its own message; if
// still over, without the echo of InstanceIds.
func (a Answer) compacted() []byte {
	a.Compact = true
	a.FailedByCode = nil
	for _, f := range a.Failed {
		a.FailedByCode = addTo(a.FailedByCode, f.Code, nil, f.Message, f.InstanceId)
	}
	a.SecurityGroupsByCode = nil
	for _, g := range a.SecurityGroups {
		a.SecurityGroupsByCode = addTo(a.SecurityGroupsByCode, g.Code, &g.Restored, g.Message, g.InstanceId)
	}
	a.Failed = a.Failed[:min(len(a.Failed), keepInFull)]
	a.SecurityGroups = a.SecurityGroups[:min(len(a.SecurityGroups), keepInFull)]
	if b, err := json.Marshal(a); err == nil && len(b) <= MaxAnswerBytes {
		return b
	}
	a.InstanceIds = []string{} // the caller sent them; Batches still say each one's outcome
	b, _ := json.Marshal(a)
	return b
}

// addTo adds id to the group of code (and restored) in groups.
func addTo(groups []Group, code string, restored *bool, message, id string) []Group {
	for i := range groups {
		g := &groups[i]
		if g.Code == code && (restored == nil || (g.Restored != nil && *g.Restored == *restored)) {
			g.InstanceIds = append(g.InstanceIds, id)
			return groups
		}
	}
	var r *bool
	if restored != nil {
		v := *restored
		r = &v
	}
	return append(groups, Group{Code: code, Restored: r, Message: message, InstanceIds: []string{id}})
}
