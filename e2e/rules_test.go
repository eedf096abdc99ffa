package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// isRulesSample reports whether a sample is a request for the tag rules
// (rules-*.json) or an EventBridge delivery (eventbridge-*.json).
func isRulesSample(name string) bool {
	return strings.HasPrefix(name, "rules-") || strings.HasPrefix(name, "eventbridge-")
}

// The rules of these tests: env=prod goes to 1045, any team to 7.
const rulesJSON = `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7}]`

var projectRules = "PROJECT_RULES=" + rulesJSON

// ruleReport is one of the answer's Rules.
type ruleReport struct {
	Tag struct {
		Key   string
		Value *string
	}
	ProjectId        int64
	Matched          int
	AlreadyInProject int
	Moved            []string
	Conflicts        []string
	Failed           []struct{ InstanceId, Code, Message string }
	RequestIds       []string
}

// seedFleet adds 368 tagged instances to the cloud:
//
//	ins-e0000001..250  env=prod, project 0       -> 1045
//	ins-f0000001..20   env=prod, project 1045    (in place)
//	ins-t0000001..60   team=data|web, project 0|3 -> 7
//	ins-x0000001..8    env=prod and team=ops     (conflicts: left in project 0)
//	ins-v0000001..30   env=dev                   (no rule)
func seedFleet(c *cloud) {
	c.AddInstances(emulator.TaggedInstances("e", 1, 250, 0, emulator.Tag{Key: "env", Value: "prod"})...)
	c.AddInstances(emulator.TaggedInstances("f", 1, 20, 1045, emulator.Tag{Key: "env", Value: "prod"})...)
	for i := 1; i <= 60; i++ {
		team, project := "data", int64(0)
		if i%2 == 0 {
			team, project = "web", 3
		}
		c.AddInstances(emulator.TaggedInstances("t", i, 1, project, emulator.Tag{Key: "team", Value: team})...)
	}
	c.AddInstances(emulator.TaggedInstances("x", 1, 8, 0, emulator.Tag{Key: "env", Value: "prod"}, emulator.Tag{Key: "team", Value: "ops"})...)
	c.AddInstances(emulator.TaggedInstances("v", 1, 30, 0, emulator.Tag{Key: "env", Value: "dev"})...)
}

func fleetIDs(prefix string, from, to int) []string {
	var out []string
	for _, in := range emulator.TaggedInstances(prefix, from, to-from+1, 0) {
		out = append(out, in.ID)
	}
	return out
}

// calls splits what the emulator received by action: the listings and the
// moves. The reads that confirm moves (VERIFY: DescribeInstances by the ids
// of instances moved before) are left out; confirms has them.
func calls(c *cloud) (describes, modifies []emulator.Call) {
	describes, modifies, _ = split(c)
	return describes, modifies
}

// confirms returns the reads that confirmed moves.
func confirms(c *cloud) []emulator.Call {
	_, _, polls := split(c)
	return polls
}

func split(c *cloud) (describes, modifies, polls []emulator.Call) {
	moved := map[string]bool{}
	for _, call := range c.Calls() {
		switch call.Action {
		case emulator.ActionDescribe:
			if len(call.InstanceIDs) > 0 && !slices.ContainsFunc(call.InstanceIDs, func(id string) bool { return !moved[id] }) {
				polls = append(polls, call)
				continue
			}
			describes = append(describes, call)
		case emulator.Action:
			modifies = append(modifies, call)
			for _, id := range call.InstanceIDs {
				moved[id] = true
			}
		}
	}
	return describes, modifies, polls
}

// "A timer reconciles the fleet": each rule's tag is listed in pages of
// 100, what differs moves in batches of 100, conflicts and untagged
// instances stay; the next reconciliation moves nothing.
func TestATimerReconcilesTheFleetAndTheSecondRunMovesNothing(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	seedFleet(c)
	fn := startFunction(t, c, projectRules)
	a, _ := fn.invoke(t, sample(t, "rules-timer-reconcile.json"), c)

	require.Equal(t, "Success", a.Code, a.Message)
	assert.Empty(t, a.Message)
	assert.Nil(t, a.ProjectId)
	assert.Empty(t, a.InstanceIds, "a reconciliation names no instance")
	require.Len(t, a.Rules, 2)
	prod, team := a.Rules[0], a.Rules[1]
	assert.Equal(t, "env", prod.Tag.Key)
	require.NotNil(t, prod.Tag.Value)
	assert.Equal(t, "prod", *prod.Tag.Value)
	assert.EqualValues(t, 1045, prod.ProjectId)
	assert.Equal(t, 278, prod.Matched)
	assert.Equal(t, 20, prod.AlreadyInProject)
	assert.Equal(t, fleetIDs("e", 1, 250), prod.Moved)
	assert.Equal(t, fleetIDs("x", 1, 8), prod.Conflicts)
	assert.Empty(t, prod.Failed)
	assert.Equal(t, "team", team.Tag.Key)
	assert.Nil(t, team.Tag.Value, "any value")
	assert.Equal(t, 68, team.Matched)
	assert.Equal(t, fleetIDs("t", 1, 60), team.Moved)
	assert.Equal(t, fleetIDs("x", 1, 8), team.Conflicts)

	describes, modifies := calls(c)
	require.Len(t, describes, 4)
	for i, want := range []struct {
		filter emulator.Filter
		offset string
	}{
		{emulator.Filter{Name: "tag:env", Values: []string{"prod"}}, "0"},
		{emulator.Filter{Name: "tag:env", Values: []string{"prod"}}, "100"},
		{emulator.Filter{Name: "tag:env", Values: []string{"prod"}}, "200"},
		{emulator.Filter{Name: "tag-key", Values: []string{"team"}}, "0"},
	} {
		assert.Equal(t, []emulator.Filter{want.filter}, describes[i].Filters, "listing %d", i)
		assert.Equal(t, want.offset, describes[i].Offset, "listing %d", i)
		assert.Equal(t, "100", describes[i].Limit)
		assert.Equal(t, "ap-guangzhou", describes[i].Region)
		assert.Empty(t, describes[i].Code)
	}
	require.Len(t, modifies, 4, "250 to 1045 in three batches, 60 to 7 in one")
	// Batches run concurrently (MAX_CONCURRENCY): they reach the emulator in
	// any order, and the answer keeps the request's.
	byFirstID := map[string]emulator.Call{}
	for _, m := range modifies {
		byFirstID[m.InstanceIDs[0]] = m
	}
	require.Len(t, a.Batches, 4)
	var sizes []int
	for _, b := range a.Batches {
		sizes = append(sizes, len(b.InstanceIds))
		assert.Equal(t, byFirstID[b.InstanceIds[0]].RequestID, b.RequestId)
		assert.Equal(t, b.InstanceIds, byFirstID[b.InstanceIds[0]].InstanceIDs)
	}
	assert.Equal(t, []int{100, 100, 50, 60}, sizes)
	assert.Equal(t, a.Batches[0].RequestId, a.RequestId)
	assert.Equal(t, []string{describes[0].RequestID, describes[1].RequestID, describes[2].RequestID,
		a.Batches[0].RequestId, a.Batches[1].RequestId, a.Batches[2].RequestId}, prod.RequestIds)

	for _, id := range fleetIDs("e", 1, 250) {
		require.EqualValues(t, 1045, c.project(t, id), id)
	}
	for _, id := range fleetIDs("t", 1, 60) {
		require.EqualValues(t, 7, c.project(t, id), id)
	}
	for _, id := range append(fleetIDs("x", 1, 8), append(fleetIDs("v", 1, 30), "ins-00000001")...) {
		require.EqualValues(t, 0, c.project(t, id), "%s: no rule or a conflict: it stays", id)
	}

	// One log line per upstream call, the listings and the reads that
	// confirm the moves included (the process's output reaches the buffer a
	// moment after the answer).
	polls := len(confirms(c))
	assert.Equal(t, 3+1, polls, "the 250 moved to 1045 confirmed 100 a read, the 60 moved to 7 in one")
	assert.Eventually(t, func() bool {
		out := fn.Output()
		return strings.Count(out, `"msg":"upstream call"`) == 8+polls && strings.Count(out, `"action":"DescribeInstances"`) == 4+polls
	}, 5*time.Second, 10*time.Millisecond, "%d upstream calls logged, %d of them DescribeInstances:\n%s", 8+polls, 4+polls, fn.Output())

	again, _ := fn.invoke(t, sample(t, "rules-timer-reconcile.json"), c)
	require.Equal(t, "Success", again.Code, again.Message)
	assert.Empty(t, again.Batches)
	assert.Empty(t, again.Rules[0].Moved)
	assert.Empty(t, again.Rules[1].Moved)
	assert.Equal(t, 270, again.Rules[0].AlreadyInProject)
	assert.Equal(t, 60, again.Rules[1].AlreadyInProject)
	_, modifies = calls(c)
	assert.Len(t, modifies, 4, "the second reconciliation moves nothing")
	assert.NotEmpty(t, again.RequestId, "its first listing's RequestId")
}

// Every sample of the rules and of EventBridge does what it says, against
// instances tagged as the event says.
func TestEveryRulesSample(t *testing.T) {
	t.Parallel()
	prod, teamData, teamWeb, dev := emulator.Tag{Key: "env", Value: "prod"}, emulator.Tag{Key: "team", Value: "data"}, emulator.Tag{Key: "team", Value: "web"}, emulator.Tag{Key: "env", Value: "dev"}
	tests := map[string]struct {
		tags     map[string][]emulator.Tag // the instances' tags now
		wantCode string
		want     map[string]int64 // projects afterwards
		regions  []string         // of the listings
	}{
		"eventbridge-tag.json":          {map[string][]emulator.Tag{"ins-00000161": {prod}}, "Success", map[string]int64{"ins-00000161": 1045}, []string{"ap-guangzhou"}},
		"eventbridge-modify-tags.json":  {map[string][]emulator.Tag{"ins-00000162": {teamData}}, "Success", map[string]int64{"ins-00000162": 7}, []string{"ap-guangzhou"}},
		"eventbridge-runinstances.json": {map[string][]emulator.Tag{"ins-00000163": {prod}, "ins-00000164": {prod}}, "Success", map[string]int64{"ins-00000163": 1045, "ins-00000164": 1045}, []string{"ap-guangzhou"}},
		"eventbridge-alarm.json":        {map[string][]emulator.Tag{"ins-00000165": {teamData}}, "Success", map[string]int64{"ins-00000165": 7}, []string{"ap-guangzhou"}},
		"eventbridge-batch.json": {map[string][]emulator.Tag{"ins-00000166": {prod}, "ins-00000167": {teamWeb}, "ins-00000168": {prod}}, "Success",
			map[string]int64{"ins-00000166": 1045, "ins-00000167": 7, "ins-00000168": 1045}, []string{"ap-guangzhou", "ap-shanghai"}},
		"eventbridge-no-instance.json": {nil, "NoInstances", nil, nil},
		"rules-direct.json": {map[string][]emulator.Tag{"ins-00000171": {prod}, "ins-00000172": {teamWeb}, "ins-00000173": {dev}}, "Success",
			map[string]int64{"ins-00000171": 1045, "ins-00000172": 7, "ins-00000173": 0}, []string{"ap-guangzhou"}},
		"rules-timer-reconcile.json": {map[string][]emulator.Tag{"ins-00000161": {prod}, "ins-00000162": {teamData}}, "Success",
			map[string]int64{"ins-00000161": 1045, "ins-00000162": 7}, []string{"ap-guangzhou", "ap-guangzhou"}},
	}
	samples, err := filepath.Glob(filepath.Join("..", "events", "*.json"))
	require.NoError(t, err)
	n := 0
	for _, path := range samples {
		name := filepath.Base(path)
		if !isRulesSample(name) {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			tt, ok := tests[name]
			require.True(t, ok, "no expectation for sample %s", name)
			c := newCloud(t)
			for id, tags := range tt.tags {
				require.True(t, c.SetTags(id, tags...))
			}
			fn := startFunction(t, c, projectRules)
			a, _ := fn.invoke(t, sample(t, name), c)

			require.Equal(t, tt.wantCode, a.Code, a.Message)
			for id, p := range tt.want {
				assert.Equal(t, p, c.project(t, id), id)
			}
			for _, in := range c.Instances() {
				if _, named := tt.want[in.ID]; !named {
					require.EqualValues(t, 0, in.ProjectID, "%s is not the sample's: it stays", in.ID)
				}
			}
			describes, modifies := calls(c)
			var regions []string
			for _, d := range describes {
				regions = append(regions, d.Region)
			}
			assert.Equal(t, tt.regions, regions, "the listings, in the events' regions")
			assert.Len(t, a.Batches, len(modifies))
			if tt.wantCode == "NoInstances" {
				assert.Empty(t, c.Calls(), "no call for an event that names no instance")
				assert.Empty(t, a.RequestId)
				return
			}
			assert.NotEmpty(t, a.RequestId)
			assert.Empty(t, a.NotFound)
		})
	}
	assert.Equal(t, len(tests), n, "every expectation has a sample")
}

// The event says the instance was tagged env=prod; it is team=web now (or
// gone): the function goes by what DescribeInstances says.
func TestAStaleEventGoesByTheInstancesCurrentTags(t *testing.T) {
	t.Parallel()
	t.Run("retagged since", func(t *testing.T) {
		c := newCloud(t)
		require.True(t, c.SetTags("ins-00000161", emulator.Tag{Key: "team", Value: "web"}))
		fn := startFunction(t, c, projectRules)
		a, _ := fn.invoke(t, sample(t, "eventbridge-tag.json"), c)
		require.Equal(t, "Success", a.Code, a.Message)
		assert.EqualValues(t, 7, c.project(t, "ins-00000161"), "its team tag, not the event's env=prod")
		assert.Zero(t, a.Rules[0].Matched)
		assert.Equal(t, []string{"ins-00000161"}, a.Rules[1].Moved)
	})
	t.Run("untagged since", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, projectRules)
		a, _ := fn.invoke(t, sample(t, "eventbridge-tag.json"), c)
		require.Equal(t, "Success", a.Code, a.Message)
		assert.EqualValues(t, 0, c.project(t, "ins-00000161"))
		assert.Empty(t, a.Batches)
		_, modifies := calls(c)
		assert.Empty(t, modifies)
	})
	t.Run("terminated since", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, projectRules)
		event := strings.ReplaceAll(string(sample(t, "eventbridge-tag.json")), "ins-00000161", "ins-0000dead")
		a, _ := fn.invoke(t, []byte(event), c)
		require.Equal(t, "InvalidInstanceId.NotFound", a.Code, "not found is not success: %s", a.Message)
		assert.Equal(t, []string{"ins-0000dead"}, a.InstanceIds)
		assert.Equal(t, []string{"ins-0000dead"}, a.NotFound)
		assert.Empty(t, a.Batches)
	})
}

// An instance that rules with different projects match is reported on both
// and left where it is; the others move.
func TestAConflictIsReportedAndLeftInPlace(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	require.True(t, c.SetTags("ins-00000171", emulator.Tag{Key: "env", Value: "prod"}, emulator.Tag{Key: "team", Value: "web"}))
	require.True(t, c.SetTags("ins-00000172", emulator.Tag{Key: "env", Value: "prod"}))
	fn := startFunction(t, c, projectRules)
	a, status := fn.invoke(t, apigwPayload(t, []byte(`{"InstanceIds":["ins-00000171","ins-00000172"]}`)), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Equal(t, 200, status)
	assert.Equal(t, []string{"ins-00000171"}, a.Rules[0].Conflicts)
	assert.Equal(t, []string{"ins-00000171"}, a.Rules[1].Conflicts)
	assert.Equal(t, []string{"ins-00000172"}, a.Rules[0].Moved)
	assert.EqualValues(t, 0, c.project(t, "ins-00000171"))
	assert.EqualValues(t, 1045, c.project(t, "ins-00000172"))
}

// A dry run lists and decides everything and moves nothing, whether the
// request or DRY_RUN asks for it.
func TestADryRunMovesNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		env     []string
		payload []byte
	}{
		{"DRY_RUN=true", []string{projectRules, "DRY_RUN=true"}, sample(t, "rules-timer-reconcile.json")},
		{"DryRun in the request", nil, []byte(`{"Reconcile":true,"DryRun":true,"Rules":` + rulesJSON + `}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			seedFleet(c)
			fn := startFunction(t, c, tt.env...)
			a, _ := fn.invoke(t, tt.payload, c)
			require.Equal(t, "Success", a.Code, a.Message)
			assert.Equal(t, "dry run: 310 instances would move; nothing was moved", a.Message)
			assert.Equal(t, fleetIDs("e", 1, 250), a.Rules[0].Moved, "what would move")
			assert.Len(t, a.Rules[1].Moved, 60)
			assert.Empty(t, a.Batches)
			describes, modifies := calls(c)
			assert.Len(t, describes, 4)
			assert.Empty(t, modifies)
			assert.EqualValues(t, 0, c.project(t, "ins-e0000001"))
		})
	}
}

// Rules come from the request, RULES_FILE or PROJECT_RULES, to the same effect.
func TestRulesFromEachSource(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "rules.json")
	require.NoError(t, os.WriteFile(file, []byte(rulesJSON), 0o644))
	tests := []struct {
		name    string
		env     []string
		payload string
	}{
		{"the request", nil, `{"InstanceIds":["ins-00000171","ins-00000172"],"Rules":` + rulesJSON + `}`},
		{"RULES_FILE", []string{"RULES_FILE=" + file}, `{"InstanceIds":["ins-00000171","ins-00000172"]}`},
		{"PROJECT_RULES", []string{projectRules}, `{"InstanceIds":["ins-00000171","ins-00000172"]}`},
		{"the request's over PROJECT_RULES", []string{`PROJECT_RULES=[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":9}]`},
			`{"InstanceIds":["ins-00000171","ins-00000172"],"Rules":` + rulesJSON + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			require.True(t, c.SetTags("ins-00000171", emulator.Tag{Key: "env", Value: "prod"}))
			require.True(t, c.SetTags("ins-00000172", emulator.Tag{Key: "team", Value: "web"}))
			fn := startFunction(t, c, tt.env...)
			a, _ := fn.invoke(t, []byte(tt.payload), c)
			require.Equal(t, "Success", a.Code, a.Message)
			require.Len(t, a.Rules, 2)
			assert.EqualValues(t, 1045, c.project(t, "ins-00000171"))
			assert.EqualValues(t, 7, c.project(t, "ins-00000172"))
		})
	}
}

// A bad rule set is refused whole, before any call: from a request with
// InvalidParameterValue, from the configuration with InvalidConfig.
func TestABadRuleSetIsRefusedWhole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        []string
		body       string
		wantCode   string
		wantStatus int
		wantInMsg  string
	}{
		{"a tag sent to two projects", nil, `{"Reconcile":true,"Rules":[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"env","Value":"prod"},"ProjectId":7}]}`,
			"InvalidParameterValue", 400, `Rules[1] sends tag "env=prod" to project 7, but Rules[0] sends it to project 1045`},
		{"a rule without its project", nil, `{"Reconcile":true,"Rules":[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"}}]}`,
			"InvalidParameterValue", 400, "Rules[1].ProjectId is missing"},
		{"Rules not an array", nil, `{"Rules":{"Tag":{"Key":"env"},"ProjectId":7}}`, "InvalidParameterValue", 400, "Rules must be an array"},
		{"no rules at all", nil, `{"Reconcile":true}`, "MissingParameter", 400, "PROJECT_RULES"},
		{"a bad PROJECT_RULES", []string{`PROJECT_RULES=[{"Tag":{"Key":"env"},"ProjectId":-1}]`}, `{"Reconcile":true}`,
			"InternalError.InvalidConfig", 500, "PROJECT_RULES: Rules[0].ProjectId must be 0"},
		{"RULES_FILE and PROJECT_RULES", []string{projectRules, "RULES_FILE=rules.json"}, `{"InstanceIds":["ins-00000001"],"ProjectId":3}`,
			"InternalError.InvalidConfig", 500, "RULES_FILE and PROJECT_RULES are both set"},
		{"a RULES_FILE that is not there", []string{"RULES_FILE=/nonexistent/rules.json"}, `{"Reconcile":true}`,
			"InternalError.InvalidConfig", 500, "RULES_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			seedFleet(c)
			fn := startFunction(t, c, tt.env...)
			a, status := fn.invoke(t, apigwPayload(t, []byte(tt.body)), c)
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Equal(t, tt.wantStatus, status)
			assert.Contains(t, a.Message, tt.wantInMsg)
			assert.Empty(t, a.Rules)
			assert.Empty(t, c.Calls(), "no call")
		})
	}
}

// DescribeInstances fails on the second page of a rule's listing: that
// rule reports it and moves nothing (not even its first page); the rule
// listed before it moves; the answer carries the failure.
func TestAnUpstreamErrorDuringAListing(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	seedFleet(c)
	c.FailDescribeInstances(2, "InternalServerError") // team's page, prod's first page, then failures
	fn := startFunction(t, c)
	rules := `[{"Tag":{"Key":"team"},"ProjectId":7},{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045}]`
	a, status := fn.invoke(t, apigwPayload(t, []byte(`{"Reconcile":true,"Rules":`+rules+`}`)), c)

	assert.Equal(t, "InternalServerError", a.Code)
	assert.Equal(t, 502, status)
	describes, modifies := calls(c)
	require.Len(t, describes, 2+4, "the failing page tried 4 times (MAX_RETRIES 3), no page after it")
	for _, d := range describes[2:] {
		assert.Equal(t, "InternalServerError", d.Code)
		assert.Equal(t, "100", d.Offset)
	}
	assert.Equal(t, describes[5].RequestID, a.RequestId, "the last attempt's RequestId")
	assert.Contains(t, a.Message, `the listing of tag "env=prod" in ap-guangzhou stopped after 100 instances`)

	team, prod := a.Rules[0], a.Rules[1]
	assert.Len(t, team.Moved, 60)
	assert.Empty(t, team.Failed)
	require.Len(t, prod.Failed, 1)
	assert.Equal(t, "", prod.Failed[0].InstanceId, "a listing, not an instance")
	assert.Equal(t, "InternalServerError", prod.Failed[0].Code)
	assert.Empty(t, prod.Moved)
	assert.Contains(t, prod.RequestIds, describes[5].RequestID, "the failed listing's (last attempt's) RequestId")
	require.Len(t, modifies, 1, "team's batch only")
	for _, id := range fleetIDs("e", 1, 100) {
		require.EqualValues(t, 0, c.project(t, id), "%s was listed, but its rule's listing is incomplete", id)
	}
	assert.EqualValues(t, 7, c.project(t, "ins-t0000001"))
}

// The listings are signed like the moves, with every signature method on
// both endpoints, the lists numbered from each endpoint's base.
func TestEverySignatureMethodReconciles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ path, method string }{
		{"/v2/index.php", "HmacSHA256"},
		{"/v2/index.php", "HmacSHA1"},
		{"/", "HmacSHA256"},
		{"/", "TC3-HMAC-SHA256"},
	} {
		t.Run(tt.path+" "+tt.method, func(t *testing.T) {
			c := newCloud(t)
			seedFleet(c)
			fn := startFunction(t, c, projectRules, "CVM_ENDPOINT="+c.base+tt.path, "SIGNATURE_METHOD="+tt.method)
			a, _ := fn.invoke(t, []byte(`{"Reconcile":true}`), c)
			require.Equal(t, "Success", a.Code, a.Message)
			assert.Len(t, a.Rules[0].Moved, 250)
			describes, _ := calls(c)
			require.Len(t, describes, 4)
			for _, d := range describes {
				assert.Equal(t, tt.method, d.SignatureMethod)
				assert.Empty(t, d.Code)
			}
			assert.EqualValues(t, 1045, c.project(t, "ins-e0000250"))
		})
	}
}

// The answer's JSON has every rule field, lists never null.
func TestTheRulesAnswerShape(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c, projectRules)
	raw, err := fn.Invoke([]byte(`{"Reconcile":true}`), scfrpc.Invocation{Env: fn.env})
	require.NoError(t, err)
	var a struct {
		Rules    []map[string]json.RawMessage
		NotFound json.RawMessage
	}
	require.NoError(t, json.Unmarshal(raw, &a))
	require.Len(t, a.Rules, 2)
	assert.JSONEq(t, `{"Key":"env","Value":"prod"}`, string(a.Rules[0]["Tag"]))
	assert.JSONEq(t, `{"Key":"team"}`, string(a.Rules[1]["Tag"]))
	for _, field := range []string{"Moved", "Conflicts", "Failed"} {
		assert.Equal(t, "[]", string(a.Rules[0][field]), field)
	}
	assert.Equal(t, "0", string(a.Rules[0]["Matched"]))
	assert.Equal(t, "0", string(a.Rules[0]["AlreadyInProject"]))
	assert.Equal(t, "1045", string(a.Rules[0]["ProjectId"]))
	assert.Equal(t, "[]", string(a.NotFound))
	var reqIDs []string
	require.NoError(t, json.Unmarshal(a.Rules[0]["RequestIds"], &reqIDs))
	assert.Equal(t, []string{c.Calls()[0].RequestID}, reqIDs, "its listing's")
}
