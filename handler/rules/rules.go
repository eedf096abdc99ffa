package rules

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
)

// Limits on a rule set.
const (
	MaxRules          = 100 // rules in one set: each is at least one listing
	maxTagKeyLength   = 127 // characters of a tag key, as Tencent Cloud's tags allow
	maxTagValueLength = 255 // characters of a tag value
)

// Rule sends the instances that have a tag into a project:
// {"Tag": {"Key": "env", "Value": "prod"}, "ProjectId": 1045}. Without a
// Value (absent or null) the rule matches any value of the key; "" matches
// the empty value.
type Rule struct {
	Key       string
	Value     *string // nil: any value
	ProjectID int64
	// ProjectName is the project as the rule names it ("Project": "prod"),
	// resolved into ProjectID before any move (Resolve); "" when the rule
	// gives a ProjectId.
	ProjectName string
}

// Matches reports whether an instance with these tags has the rule's tag.
// Keys and values match exactly, case included, as the API's filters do.
func (r Rule) Matches(tags []cvm.Tag) bool {
	for _, t := range tags {
		if t.Key == r.Key && (r.Value == nil || t.Value == *r.Value) {
			return true
		}
	}
	return false
}

// tag names the rule's tag in messages: env=prod, or env=* for any value.
func (r Rule) tag() string {
	if r.Value == nil {
		return r.Key + "=*"
	}
	return r.Key + "=" + *r.Value
}

// sameTag reports whether two rules name the same key and value (both any
// value, or the same one).
func (r Rule) sameTag(o Rule) bool {
	if r.Key != o.Key || (r.Value == nil) != (o.Value == nil) {
		return false
	}
	return r.Value == nil || *r.Value == *o.Value
}

// Parse reads a rule set, a JSON array of 1 to MaxRules rules; where names
// its source ("" for a request's Rules, else e.g. "PROJECT_RULES"). A bad
// rule, or a tag sent to two projects or given twice, refuses the whole set
// (CodeInvalidParameterValue).
func Parse(where string, data []byte) ([]Rule, *answer.Error) {
	fail := func(format string, args ...any) *answer.Error {
		msg := fmt.Sprintf(format, args...)
		if where != "" {
			msg = where + ": " + msg
		}
		return &answer.Error{Code: answer.CodeInvalidParameterValue, Message: msg}
	}
	const example = `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045}]`
	if t := request.JSONType(data); t != request.TypeArray {
		if t == "" {
			t = "nothing"
		}
		return nil, fail("Rules must be an array of rules such as %s; got %s", example, t)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return nil, fail("Rules is not valid JSON: %v", err)
	}
	switch {
	case len(elems) == 0:
		return nil, fail("Rules is empty; give at least one rule such as %s", example)
	case len(elems) > MaxRules:
		return nil, fail("Rules holds %d rules; at most %d are allowed", len(elems), MaxRules)
	}
	rules := make([]Rule, 0, len(elems))
	for i, elem := range elems {
		r, err := parseRule(fmt.Sprintf("Rules[%d]", i), elem)
		if err != nil {
			if where != "" {
				err.Message = where + ": " + err.Message
			}
			return nil, err
		}
		for j, prev := range rules {
			if !prev.sameTag(r) {
				continue
			}
			if prev.ProjectID == r.ProjectID && prev.ProjectName == r.ProjectName {
				return nil, fail("Rules[%d] repeats Rules[%d] (tag %s, project %s); give each rule once", i, j, answer.Quote(r.tag()), r.target())
			}
			return nil, fail("Rules[%d] sends tag %s to project %s, but Rules[%d] sends it to project %s; a tag goes to one project",
				i, answer.Quote(r.tag()), r.target(), j, prev.target())
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// The keys of a rule and of its tag.
var (
	ruleKeys = []string{"Tag", "ProjectId", "Project"}
	tagKeys  = []string{"Key", "Value"}
)

// parseRule reads the rule name ("Rules[i]"): a key of it (or of its
// Tag) that is not one of ruleKeys (tagKeys) is refused with
// CodeUnknownParameter, and one given twice with different values with
// CodeInvalidParameterValue, before anything else is checked.
func parseRule(name string, data json.RawMessage) (Rule, *answer.Error) {
	bad := func(msg string) (Rule, *answer.Error) {
		return Rule{}, &answer.Error{Code: answer.CodeInvalidParameterValue, Message: name + msg}
	}
	if t := request.JSONType(data); t != request.TypeObject {
		return bad(" must be an object such as {\"Tag\":{\"Key\":\"env\",\"Value\":\"prod\"},\"ProjectId\":1045}; got " + t)
	}
	fields, err := request.CheckObjectKeys(name, data, ruleKeys)
	if err != nil {
		return Rule{}, err
	}
	tag, project := fields[0], fields[2] // in the order of ruleKeys
	var projectID request.ProjectID
	if fields[1] != nil {
		_ = projectID.UnmarshalJSON(fields[1]) // it keeps its refusal
	}
	if !request.Present(tag) {
		return bad(".Tag is missing; give the tag the rule matches, as {\"Key\":\"env\",\"Value\":\"prod\"} (or without Value for any value)")
	}
	if t := request.JSONType(tag); t != request.TypeObject {
		return bad(".Tag must be an object such as {\"Key\":\"env\",\"Value\":\"prod\"}; got " + t)
	}
	if fields, err = request.CheckObjectKeys(name+".Tag", tag, tagKeys); err != nil {
		return Rule{}, err
	}
	var r Rule
	if !request.Present(fields[0]) { // in the order of tagKeys: Key, Value
		return bad(".Tag.Key is missing")
	}
	key, msg := tagText(fields[0], maxTagKeyLength)
	if msg != "" {
		return bad(".Tag.Key " + msg)
	}
	if key == "" {
		return bad(".Tag.Key is empty")
	}
	r.Key = key
	if request.Present(fields[1]) {
		value, msg := tagText(fields[1], maxTagValueLength)
		if msg != "" {
			return bad(".Tag.Value " + msg)
		}
		r.Value = &value
	}
	if request.Present(project) { // a name, resolved before any move
		if projectID.Set {
			return bad(" gives both ProjectId and Project; give one of them")
		}
		if r.ProjectName, msg = ProjectNameOf(project); msg != "" {
			return bad(".Project " + msg)
		}
		r.ProjectID = -1
		return r, nil
	}
	switch {
	case !projectID.Set:
		return bad(".ProjectId is missing; give the project the rule's instances belong in (0 for the default project)")
	case projectID.Err != nil:
		return bad("." + projectID.Err.Message)
	case *projectID.ID < 0:
		return bad(".ProjectId must be 0 (the default project) or greater; got " + strconv.FormatInt(*projectID.ID, 10))
	}
	r.ProjectID = *projectID.ID
	return r, nil
}

// tagText reads a tag key or value: a string of at most max characters,
// without control characters. The message, when not "", says what is wrong.
func tagText(raw json.RawMessage, max int) (string, string) {
	var s string
	if request.JSONType(raw) != request.TypeString || json.Unmarshal(raw, &s) != nil {
		return "", "must be a string; got " + request.JSONType(raw)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Sprintf("is %d characters long; at most %d are allowed", n, max)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", "holds a control character: " + answer.Quote(s)
	}
	return s, ""
}

// Decision is what a rule set decides for the instances it was shown.
type Decision struct {
	Rules []RuleDecision // one per rule, in the rule set's order
	Moves []Move         // one per target project, in the order the rules name them
}

// RuleDecision is one rule's part of a Decision.
type RuleDecision struct {
	Matched          int      // instances that have the rule's tag (conflicts included)
	AlreadyInProject int      // of those, in the rule's project already
	Moved            []string // of those, the ones to move into the project
	Conflicts        []string // of those, the ones other rules send to another project
}

// Move is the instances to move into one project.
type Move struct {
	ProjectID   int64
	InstanceIDs []string
}

// Decide applies rules to instances by their own tags: matched by no rule,
// one stays; by rules of different projects, it is a conflict reported on
// each and stays; else it moves to its rules' project unless there already,
// decided once and reported on every matching rule. complete[i] false (an
// incomplete listing) makes rule i move and report nothing, though its tag
// still makes conflicts; nil: all complete.
func Decide(rules []Rule, complete []bool, instances []cvm.Instance) Decision {
	d := Decision{Rules: make([]RuleDecision, len(rules))}
	moves := map[int64][]string{}
	seen := make(map[string]bool, len(instances))
	matched := make([]int, 0, len(rules))
	for _, in := range instances {
		if seen[in.ID] {
			continue
		}
		seen[in.ID] = true
		matched = matched[:0]
		conflict := false
		for i, r := range rules {
			if r.Matches(in.Tags) {
				conflict = conflict || (len(matched) > 0 && rules[matched[0]].ProjectID != r.ProjectID)
				matched = append(matched, i)
			}
		}
		if len(matched) == 0 {
			continue
		}
		target, acted := rules[matched[0]].ProjectID, false
		for _, i := range matched {
			if complete != nil && !complete[i] {
				continue
			}
			acted = true
			rd := &d.Rules[i]
			rd.Matched++
			switch {
			case conflict:
				rd.Conflicts = append(rd.Conflicts, in.ID)
			case in.ProjectID == target:
				rd.AlreadyInProject++
			default:
				rd.Moved = append(rd.Moved, in.ID)
			}
		}
		if acted && !conflict && in.ProjectID != target {
			moves[target] = append(moves[target], in.ID)
		}
	}
	for _, r := range rules {
		if ids, ok := moves[r.ProjectID]; ok {
			d.Moves = append(d.Moves, Move{ProjectID: r.ProjectID, InstanceIDs: ids})
			delete(moves, r.ProjectID)
		}
	}
	return d
}

// The settings that configure a rule set (read by handler/config), named
// here for the messages that tell how to configure one.
const (
	EnvRulesFile    = "RULES_FILE"    // a JSON file of rules shipped in the zip (SCF's variables hold 4 KB in all)
	EnvProjectRules = "PROJECT_RULES" // the rules as inline JSON
)
