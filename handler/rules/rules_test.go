package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
)

func strPtr(s string) *string { return &s }

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []Rule
	}{
		{"the issue's example", `[{"Tag": {"Key": "env", "Value": "prod"}, "ProjectId": 1045}, {"Tag": {"Key": "team"}, "ProjectId": 7}]`,
			[]Rule{{Key: "env", Value: strPtr("prod"), ProjectID: 1045}, {Key: "team", ProjectID: 7}}},
		{"keys in any case, ProjectId as digits", `[{"tag":{"key":"env","value":"prod"},"projectid":"1045"}]`,
			[]Rule{{Key: "env", Value: strPtr("prod"), ProjectID: 1045}}},
		{"a null Value is any value", `[{"Tag":{"Key":"team","Value":null},"ProjectId":0}]`, []Rule{{Key: "team", ProjectID: 0}}},
		{"an empty Value is the empty value", `[{"Tag":{"Key":"team","Value":""},"ProjectId":3}]`, []Rule{{Key: "team", Value: strPtr(""), ProjectID: 3}}},
		{"keys in any case", `[{"tag":{"KEY":"env","value":"prod"},"projectid":1}]`, []Rule{{Key: "env", Value: strPtr("prod"), ProjectID: 1}}},
		{"one key, two values, two projects", `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1},{"Tag":{"Key":"env","Value":"dev"},"ProjectId":2}]`,
			[]Rule{{Key: "env", Value: strPtr("prod"), ProjectID: 1}, {Key: "env", Value: strPtr("dev"), ProjectID: 2}}},
		{"a value and any value of one key (a conflict when both match, not a bad set)", `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1},{"Tag":{"Key":"env"},"ProjectId":2}]`,
			[]Rule{{Key: "env", Value: strPtr("prod"), ProjectID: 1}, {Key: "env", ProjectID: 2}}},
		{"unicode, at the length limits", `[{"Tag":{"Key":"` + strings.Repeat("键", 127) + `","Value":"` + strings.Repeat("值", 255) + `"},"ProjectId":1}]`,
			[]Rule{{Key: strings.Repeat("键", 127), Value: strPtr(strings.Repeat("值", 255)), ProjectID: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("", []byte(tt.json))
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"Tag":{"Key":"k"},"ProjectId":1},`, MaxRules+1), ",") + "]"
	tests := []struct {
		name, json string
		message    []string
	}{
		{"not JSON", `[{`, []string{"not valid JSON"}},
		{"an object", `{"Tag":{"Key":"env"},"ProjectId":1}`, []string{"must be an array", "got an object"}},
		{"empty input", ``, []string{"must be an array", "got nothing"}},
		{"empty", `[]`, []string{"Rules is empty"}},
		{"too many", many, []string{"101 rules", "at most 100"}},
		{"a rule not an object", `["env=prod"]`, []string{"Rules[0] must be an object", "got a string"}},
		{"no Tag", `[{"ProjectId":1}]`, []string{"Rules[0].Tag is missing"}},
		{"Tag a string", `[{"Tag":"env","ProjectId":1}]`, []string{"Rules[0].Tag must be an object"}},
		{"no Key", `[{"Tag":{"Value":"prod"},"ProjectId":1}]`, []string{"Rules[0].Tag.Key is missing"}},
		{"Key empty", `[{"Tag":{"Key":""},"ProjectId":1}]`, []string{"Rules[0].Tag.Key is empty"}},
		{"Key a number", `[{"Tag":{"Key":7},"ProjectId":1}]`, []string{"Rules[0].Tag.Key must be a string", "got a number"}},
		{"Key too long", `[{"Tag":{"Key":"` + strings.Repeat("k", 128) + `"},"ProjectId":1}]`, []string{"Tag.Key is 128 characters long", "at most 127"}},
		{"Value too long", `[{"Tag":{"Key":"k","Value":"` + strings.Repeat("v", 256) + `"},"ProjectId":1}]`, []string{"Tag.Value is 256 characters long"}},
		{"Value an array", `[{"Tag":{"Key":"k","Value":["a"]},"ProjectId":1}]`, []string{"Tag.Value must be a string", "got an array"}},
		{"a control character", `[{"Tag":{"Key":"k\n"},"ProjectId":1}]`, []string{"Tag.Key holds a control character"}},
		{"no ProjectId", `[{"Tag":{"Key":"env"}}]`, []string{"Rules[0].ProjectId is missing"}},
		{"ProjectId negative", `[{"Tag":{"Key":"env"},"ProjectId":-1}]`, []string{"Rules[0].ProjectId must be 0", "got -1"}},
		{"ProjectId a fraction", `[{"Tag":{"Key":"env"},"ProjectId":1.5}]`, []string{"Rules[0].ProjectId must be an integer"}},
		{"ProjectId a boolean", `[{"Tag":{"Key":"env"},"ProjectId":true}]`, []string{"Rules[0].ProjectId must be an integer"}},
		{"the second rule bad", `[{"Tag":{"Key":"env"},"ProjectId":1},{"Tag":{"Key":"team"}}]`, []string{"Rules[1].ProjectId is missing"}},
		{"one tag to two projects", `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7},{"Tag":{"Key":"env","Value":"prod"},"ProjectId":7}]`,
			[]string{`Rules[2] sends tag "env=prod" to project 7`, "Rules[0] sends it to project 1045"}},
		{"any value of one key to two projects", `[{"Tag":{"Key":"team"},"ProjectId":1},{"Tag":{"Key":"team","Value":null},"ProjectId":2}]`,
			[]string{`Rules[1] sends tag "team=*" to project 2`}},
		{"a rule given twice", `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"env","Value":"prod"},"ProjectId":"1045"}]`,
			[]string{"Rules[1] repeats Rules[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("", []byte(tt.json))
			require.NotNil(t, err)
			assert.Nil(t, got, "the whole set is refused")
			assert.Equal(t, answer.CodeInvalidParameterValue, err.Code)
			for _, m := range tt.message {
				assert.Contains(t, err.Message, m)
			}
			assert.Less(t, len(err.Message), 400, "the message does not repeat the input")
		})
	}
}

// A key a rule or its tag does not know is refused, naming the key and the
// nearest known one: a misspelt Value would otherwise match any value.
func TestParseRefusesUnknownKeys(t *testing.T) {
	tests := []struct{ json, want string }{
		{`[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1,"Comment":"x"}]`, `Rules[0] has the unknown parameter "Comment"`},
		{`[{"Tag":{"Key":"env"},"ProjectId":1},{"Tag":{"Key":"env","Valeu":"prod"},"ProjectId":2}]`, `Rules[1].Tag has the unknown parameter "Valeu"; did you mean "Value"?`},
		{`[{"Tags":{"Key":"env"},"ProjectId":1}]`, `did you mean "Tag"?`},
		{`[{"Tag":{"Key":"env"},"Project_Id":1}]`, `did you mean "ProjectId"?`},
	}
	for _, tt := range tests {
		_, err := Parse("", []byte(tt.json))
		require.NotNil(t, err, tt.json)
		assert.Equal(t, answer.CodeUnknownParameter, err.Code)
		assert.Contains(t, err.Message, tt.want)
	}
	_, err := Parse("PROJECT_RULES", []byte(`[{"Tag":{"Key":"env"},"ProjectId":1,"x":1}]`))
	require.NotNil(t, err)
	assert.True(t, strings.HasPrefix(err.Message, "PROJECT_RULES: Rules[0] has"), err.Message)
}

// A key a rule or its tag gives twice, in any case, with different values
// is refused, as a request's is: which project was meant is not known.
func TestParseRefusesTwinKeys(t *testing.T) {
	tests := []struct{ json, want string }{
		{`[{"Tag":{"Key":"env"},"ProjectId":1045,"projectId":1046}]`, `projectId is given 2 different values in Rules[0]; give it once`},
		{`[{"Tag":{"Key":"env","Value":"prod","value":"dev"},"ProjectId":1}]`, `value is given 2 different values in Rules[0].Tag; give it once`},
	}
	for _, tt := range tests {
		_, err := Parse("", []byte(tt.json))
		require.NotNil(t, err, tt.json)
		assert.Equal(t, answer.CodeInvalidParameterValue, err.Code)
		assert.Equal(t, tt.want, err.Message)
	}
	rules, err := Parse("", []byte(`[{"Tag":{"Key":"env"},"ProjectId":1045,"projectId":1045}]`))
	require.Nil(t, err, "the same value twice is one value")
	assert.EqualValues(t, 1045, rules[0].ProjectID)
}

func TestParseNamesItsSource(t *testing.T) {
	_, err := Parse("PROJECT_RULES", []byte(`[{"Tag":{"Key":"env"}}]`))
	require.NotNil(t, err)
	assert.Equal(t, "PROJECT_RULES: Rules[0].ProjectId is missing; give the project the rule's instances belong in (0 for the default project)", err.Message)
}

func TestRuleMatches(t *testing.T) {
	tags := []cvm.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: ""}}
	tests := []struct {
		rule Rule
		want bool
	}{
		{Rule{Key: "env", Value: strPtr("prod")}, true},
		{Rule{Key: "env"}, true},
		{Rule{Key: "env", Value: strPtr("Prod")}, false},
		{Rule{Key: "Env"}, false},
		{Rule{Key: "env", Value: strPtr("dev")}, false},
		{Rule{Key: "team", Value: strPtr("")}, true},
		{Rule{Key: "team"}, true},
		{Rule{Key: "owner"}, false},
		{Rule{Key: "prod"}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.rule.Matches(tags), "%s", tt.rule.tag())
	}
	assert.False(t, Rule{Key: "env"}.Matches(nil))
}

func inst(id string, project int64, tags ...string) cvm.Instance {
	in := cvm.Instance{ID: id, ProjectID: project}
	for _, kv := range tags {
		k, v, _ := strings.Cut(kv, "=")
		in.Tags = append(in.Tags, cvm.Tag{Key: k, Value: v})
	}
	return in
}

func TestDecide(t *testing.T) {
	prod := Rule{Key: "env", Value: strPtr("prod"), ProjectID: 1045}
	team := Rule{Key: "team", ProjectID: 7}
	teamTo1045 := Rule{Key: "team", ProjectID: 1045}
	anyEnv := Rule{Key: "env", ProjectID: 9}
	tests := []struct {
		name      string
		rules     []Rule
		complete  []bool
		instances []cvm.Instance
		want      Decision
	}{
		{"moves what differs, counts what is in place",
			[]Rule{prod, team},
			nil,
			[]cvm.Instance{inst("ins-a", 0, "env=prod"), inst("ins-b", 1045, "env=prod"), inst("ins-c", 3, "team=web"), inst("ins-d", 7, "team=data")},
			Decision{
				Rules: []RuleDecision{{Matched: 2, AlreadyInProject: 1, Moved: []string{"ins-a"}}, {Matched: 2, AlreadyInProject: 1, Moved: []string{"ins-c"}}},
				Moves: []Move{{1045, []string{"ins-a"}}, {7, []string{"ins-c"}}},
			}},
		{"never moves an instance no rule matches",
			[]Rule{prod},
			nil,
			[]cvm.Instance{inst("ins-a", 0, "env=dev"), inst("ins-b", 0), inst("ins-c", 0, "prod=env")},
			Decision{Rules: []RuleDecision{{}}}},
		{"a conflict is reported on each of its rules and left where it is",
			[]Rule{prod, team},
			nil,
			[]cvm.Instance{inst("ins-a", 0, "env=prod", "team=web"), inst("ins-b", 0, "env=prod")},
			Decision{
				Rules: []RuleDecision{{Matched: 2, Moved: []string{"ins-b"}, Conflicts: []string{"ins-a"}}, {Matched: 1, Conflicts: []string{"ins-a"}}},
				Moves: []Move{{1045, []string{"ins-b"}}},
			}},
		{"a conflict even when the instance is in one of the projects",
			[]Rule{prod, team},
			nil,
			[]cvm.Instance{inst("ins-a", 7, "env=prod", "team=web")},
			Decision{Rules: []RuleDecision{{Matched: 1, Conflicts: []string{"ins-a"}}, {Matched: 1, Conflicts: []string{"ins-a"}}}}},
		{"a value rule and an any-value rule of one key conflict on that value only",
			[]Rule{prod, anyEnv},
			nil,
			[]cvm.Instance{inst("ins-a", 0, "env=prod"), inst("ins-b", 0, "env=dev")},
			Decision{
				Rules: []RuleDecision{{Matched: 1, Conflicts: []string{"ins-a"}}, {Matched: 2, Moved: []string{"ins-b"}, Conflicts: []string{"ins-a"}}},
				Moves: []Move{{9, []string{"ins-b"}}},
			}},
		{"two rules to one project: no conflict, one move, reported on both",
			[]Rule{prod, teamTo1045},
			nil,
			[]cvm.Instance{inst("ins-a", 0, "env=prod", "team=web"), inst("ins-b", 0, "team=data")},
			Decision{
				Rules: []RuleDecision{{Matched: 1, Moved: []string{"ins-a"}}, {Matched: 2, Moved: []string{"ins-a", "ins-b"}}},
				Moves: []Move{{1045, []string{"ins-a", "ins-b"}}},
			}},
		{"an instance listed twice counts once",
			[]Rule{prod, team},
			nil,
			[]cvm.Instance{inst("ins-a", 0, "env=prod"), inst("ins-c", 0, "team=x"), inst("ins-a", 0, "env=prod")},
			Decision{
				Rules: []RuleDecision{{Matched: 1, Moved: []string{"ins-a"}}, {Matched: 1, Moved: []string{"ins-c"}}},
				Moves: []Move{{1045, []string{"ins-a"}}, {7, []string{"ins-c"}}},
			}},
		{"an incomplete rule moves and reports nothing",
			[]Rule{prod, team},
			[]bool{true, false},
			[]cvm.Instance{inst("ins-a", 0, "env=prod"), inst("ins-c", 0, "team=x")},
			Decision{
				Rules: []RuleDecision{{Matched: 1, Moved: []string{"ins-a"}}, {}},
				Moves: []Move{{1045, []string{"ins-a"}}},
			}},
		{"an incomplete rule still makes conflicts",
			[]Rule{prod, team},
			[]bool{true, false},
			[]cvm.Instance{inst("ins-a", 0, "env=prod", "team=x")},
			Decision{Rules: []RuleDecision{{Matched: 1, Conflicts: []string{"ins-a"}}, {}}}},
		{"an instance of a complete and an incomplete rule to one project moves by the complete one",
			[]Rule{prod, teamTo1045},
			[]bool{false, true},
			[]cvm.Instance{inst("ins-a", 0, "env=prod", "team=x"), inst("ins-b", 0, "env=prod")},
			Decision{
				Rules: []RuleDecision{{}, {Matched: 1, Moved: []string{"ins-a"}}},
				Moves: []Move{{1045, []string{"ins-a"}}},
			}},
		{"moves come in the order the rules name their projects",
			[]Rule{team, prod},
			nil,
			[]cvm.Instance{inst("ins-a", 0, "env=prod"), inst("ins-c", 0, "team=x")},
			Decision{
				Rules: []RuleDecision{{Matched: 1, Moved: []string{"ins-c"}}, {Matched: 1, Moved: []string{"ins-a"}}},
				Moves: []Move{{7, []string{"ins-c"}}, {1045, []string{"ins-a"}}},
			}},
		{"nothing to decide", []Rule{prod}, nil, nil, Decision{Rules: []RuleDecision{{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.rules, tt.complete, tt.instances)
			assert.Equal(t, tt.want, got)
			for i, rd := range got.Rules {
				assert.Equal(t, rd.Matched, rd.AlreadyInProject+len(rd.Moved)+len(rd.Conflicts), "rule %d: every match is counted once", i)
			}
		})
	}
}

// Deciding again after the moves moves nothing: a reconciliation converges.
func TestDecideTwiceMovesNothing(t *testing.T) {
	rules := []Rule{{Key: "env", Value: strPtr("prod"), ProjectID: 1045}, {Key: "team", ProjectID: 7}}
	var fleet []cvm.Instance
	for i := range 300 {
		tags := []string{"env=prod", "team=web", "env=dev", "team=data"}[i%4 : i%4+1]
		if i%10 == 0 {
			tags = []string{"env=prod", "team=web"} // conflicts
		}
		fleet = append(fleet, inst(fmt.Sprintf("ins-%08d", i), int64(i%3), tags...))
	}
	first := Decide(rules, nil, fleet)
	require.NotEmpty(t, first.Moves)
	target := map[string]int64{}
	for _, m := range first.Moves {
		for _, id := range m.InstanceIDs {
			target[id] = m.ProjectID
		}
	}
	for i := range fleet {
		if p, ok := target[fleet[i].ID]; ok {
			fleet[i].ProjectID = p
		}
	}
	second := Decide(rules, nil, fleet)
	assert.Empty(t, second.Moves)
	for i := range rules {
		assert.Empty(t, second.Rules[i].Moved)
		assert.Equal(t, first.Rules[i].Conflicts, second.Rules[i].Conflicts, "conflicts stay conflicts")
		assert.Equal(t, first.Rules[i].Matched, second.Rules[i].Matched)
	}
}
