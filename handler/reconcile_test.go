package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/run"
)

// The rules the tests configure.
var (
	envProd    = rules.Rule{Key: "env", Value: strPtr("prod"), ProjectID: 1045}
	teamAny    = rules.Rule{Key: "team", ProjectID: 7}
	configured = []rules.Rule{envProd, teamAny}
)

func strPtr(s string) *string { return &s }

// inst is an instance in project with tags ("k=v").
func inst(id string, project int64, tags ...string) cvm.Instance {
	in := cvm.Instance{ID: id, ProjectID: project}
	for _, kv := range tags {
		k, v, _ := strings.Cut(kv, "=")
		in.Tags = append(in.Tags, cvm.Tag{Key: k, Value: v})
	}
	return in
}

// fakeFleet is a CVM API in memory: DescribeInstances (tag filters, ids,
// Offset/Limit) and ModifyInstancesProject over one table of instances.
type fakeFleet struct {
	mu        sync.Mutex
	instances []cvm.Instance // sorted by ID
	calls     []fleetCall
	// failDescribe and failModify, when set, may answer a call with an
	// error code instead (n counts the calls of that action from 0).
	failDescribe func(n int, a cvm.DescribeInstances) (cvm.Result, error, bool)
	failModify   func(a cvm.ModifyInstancesProject) (cvm.Result, error, bool)
	describes    int
}

type fleetCall struct {
	Region string
	Action cvm.Action
}

func newFakeFleet(instances ...[]cvm.Instance) *fakeFleet {
	f := &fakeFleet{}
	for _, list := range instances {
		f.instances = append(f.instances, list...)
	}
	slices.SortFunc(f.instances, func(a, b cvm.Instance) int { return strings.Compare(a.ID, b.ID) })
	return f
}

// fleet returns n instances ins-<prefix><number> in project with tags ("k=v").
func fleet(prefix string, n int, project int64, tags ...string) []cvm.Instance {
	out := make([]cvm.Instance, n)
	for i := range out {
		out[i] = inst(fmt.Sprintf("ins-%s%0*d", prefix, 8-len(prefix), i+1), project, tags...)
	}
	return out
}

func (f *fakeFleet) Call(_ context.Context, _ credentials.Provider, region string, action cvm.Action, out any) (cvm.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fleetCall{region, action})
	res := cvm.Result{RequestID: fmt.Sprintf("req-%d", len(f.calls))}
	switch a := action.(type) {
	case cvm.DescribeInstances:
		n := f.describes
		f.describes++
		if f.failDescribe != nil {
			if r, err, ok := f.failDescribe(n, a); ok {
				return r, err
			}
		}
		var matched []cvm.Instance
		for _, in := range f.instances {
			if (a.InstanceIds == nil || slices.Contains(a.InstanceIds, in.ID)) && matchesFilters(in, a.Filters) {
				matched = append(matched, in)
			}
		}
		type item struct {
			InstanceId string
			Placement  struct{ ProjectId int64 }
			Tags       []cvm.Tag
		}
		page := struct {
			TotalCount  int
			InstanceSet []item
		}{TotalCount: len(matched), InstanceSet: []item{}}
		for _, in := range matched[min(a.Offset, len(matched)):min(a.Offset+a.Limit, len(matched))] {
			it := item{InstanceId: in.ID, Tags: in.Tags}
			it.Placement.ProjectId = in.ProjectID
			page.InstanceSet = append(page.InstanceSet, it)
		}
		b, _ := json.Marshal(page)
		return res, json.Unmarshal(b, out)
	case cvm.ModifyInstancesProject:
		if f.failModify != nil {
			if r, err, ok := f.failModify(a); ok {
				return r, err
			}
		}
		for i := range f.instances {
			if slices.Contains(a.InstanceIds, f.instances[i].ID) {
				f.instances[i].ProjectID = a.ProjectId
			}
		}
		return res, nil
	}
	return cvm.Result{RequestID: "req-x"}, &cvm.APIError{RequestID: "req-x", Code: "InvalidAction"}
}

func matchesFilters(in cvm.Instance, filters []cvm.Filter) bool {
	for _, f := range filters {
		key, byValue := strings.CutPrefix(f.Name, "tag:")
		ok := false
		for _, t := range in.Tags {
			if (byValue && t.Key == key && slices.Contains(f.Values, t.Value)) || (f.Name == "tag-key" && slices.Contains(f.Values, t.Key)) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *fakeFleet) project(id string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.instances {
		if in.ID == id {
			return in.ProjectID
		}
	}
	panic("no instance " + id)
}

func (f *fakeFleet) actions() (describes, modifies []fleetCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if _, ok := c.Action.(cvm.DescribeInstances); ok {
			describes = append(describes, c)
		} else {
			modifies = append(modifies, c)
		}
	}
	return describes, modifies
}

func (f *fakeFleet) moved() [][]string {
	_, modifies := f.actions()
	var out [][]string
	for _, c := range modifies {
		out = append(out, c.Action.(cvm.ModifyInstancesProject).InstanceIds)
	}
	return out
}

func ruleHandler(f *fakeFleet, set ...rules.Rule) *Handler {
	return &Handler{Runner: run.Runner{Logger: discard, CVM: f}, Rules: set, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou"}
}

func invoke(t *testing.T, h *Handler, payload string) answer.Answer {
	t.Helper()
	out, err := h.Invoke(context.Background(), []byte(payload))
	require.NoError(t, err)
	return decodeAnswer(t, out)
}

// checkReports checks the invariants of every rule report.
func checkReports(t *testing.T, a answer.Answer) {
	t.Helper()
	for _, r := range a.Rules {
		instanceFailures := 0
		for _, f := range r.Failed {
			if f.InstanceId != "" {
				instanceFailures++
			}
		}
		assert.Equal(t, r.Matched, r.AlreadyInProject+len(r.Moved)+len(r.Conflicts)+instanceFailures, "rule %s: every match counted once", r.Tag.Key)
	}
}

// A reconciliation lists each rule's tag in pages of 100, moves what
// differs in batches of 100, and reports each rule; the second moves nothing.
func TestReconcileMovesWhatDiffersAndConverges(t *testing.T) {
	f := newFakeFleet(
		fleet("p", 250, 0, "env=prod"),
		fleet("q", 20, 1045, "env=prod"),
		fleet("t", 30, 3, "team=data"),
		fleet("c", 5, 0, "env=prod", "team=web"), // conflicts
		fleet("d", 40, 0, "env=dev"),             // no rule
	)
	h := ruleHandler(f, envProd, teamAny)
	a := invoke(t, h, `{"Reconcile":true}`)

	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.Empty(t, a.Message)
	assert.Nil(t, a.ProjectId, "rules move into several projects")
	assert.Empty(t, a.InstanceIds)
	require.Len(t, a.Rules, 2)
	prod, team := a.Rules[0], a.Rules[1]
	assert.Equal(t, answer.RuleTag{Key: "env", Value: strPtr("prod")}, prod.Tag)
	assert.EqualValues(t, 1045, prod.ProjectId)
	assert.Equal(t, 275, prod.Matched)
	assert.Equal(t, 20, prod.AlreadyInProject)
	assert.Len(t, prod.Moved, 250)
	assert.Len(t, prod.Conflicts, 5)
	assert.Equal(t, 35, team.Matched)
	assert.Len(t, team.Moved, 30)
	assert.Equal(t, prod.Conflicts, team.Conflicts)
	assert.Empty(t, prod.Failed)
	checkReports(t, a)

	describes, modifies := f.actions()
	var offsets []int
	for _, c := range describes {
		offsets = append(offsets, c.Action.(cvm.DescribeInstances).Offset)
		assert.Equal(t, "ap-guangzhou", c.Region)
	}
	assert.Equal(t, []int{0, 100, 200, 0}, offsets, "prod: 275 in three pages; team: one")
	require.Len(t, modifies, 4, "250 to 1045 in three batches, 30 to 7 in one")
	require.Len(t, a.Batches, 4)
	assert.Equal(t, a.Batches[0].RequestId, a.RequestId)
	assert.EqualValues(t, []string{"req-1", "req-2", "req-3", "req-5", "req-6", "req-7"}, prod.RequestIds, "its listing's and its batches'")
	for _, id := range prod.Moved {
		assert.EqualValues(t, 1045, f.project(id))
	}
	assert.EqualValues(t, 0, f.project("ins-c0000001"), "a conflict stays")
	assert.EqualValues(t, 0, f.project("ins-d0000001"), "no rule, no move")

	again := invoke(t, h, `{"Reconcile":true}`)
	require.Equal(t, answer.CodeSuccess, again.Code)
	assert.Empty(t, again.Batches)
	for _, r := range again.Rules {
		assert.Empty(t, r.Moved)
	}
	assert.Equal(t, 270, again.Rules[0].AlreadyInProject)
	_, modifies = f.actions()
	assert.Len(t, modifies, 4, "no call moves anything the second time")
	assert.NotEmpty(t, again.RequestId, "the first listing's RequestId")
}

// Every list an answer promises is [] when empty, the rule reports' too,
// whatever made the answer: a reconciliation that moves nothing, a move, a
// refusal. Only a reconciliation's ProjectId is null.
func TestAnAnswersEmptyListsAreNeverNull(t *testing.T) {
	f := newFakeFleet(fleet("q", 2, 1045, "env=prod"))
	for _, payload := range []string{`{"Reconcile":true}`, `{"InstanceIds":["ins-q0000001"],"ProjectId":3}`, `{"InstanceIds":["bad"],"ProjectId":3}`} {
		out, err := ruleHandler(f, envProd, teamAny).Invoke(context.Background(), []byte(payload))
		require.NoError(t, err)
		assert.NotContains(t, strings.ReplaceAll(string(out), `"ProjectId":null`, ""), "null", "%s", out)
	}
}

// With InstanceIds, the rules apply to those instances only, as they are
// now; unknown ones are reported as NotFound.
func TestRulesForNamedInstances(t *testing.T) {
	f := newFakeFleet(fleet("p", 5, 0, "env=prod"), fleet("t", 5, 0, "team=x"), fleet("d", 5, 0, "env=dev"))
	h := ruleHandler(f)
	a := invoke(t, h, `{"InstanceIds":["ins-p0000001","ins-t0000002","ins-d0000003","ins-zzzz0009"],"Rules":[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7}]}`)

	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.EqualValues(t, []string{"ins-p0000001", "ins-t0000002", "ins-d0000003", "ins-zzzz0009"}, a.InstanceIds)
	assert.EqualValues(t, []string{"ins-zzzz0009"}, a.NotFound)
	assert.EqualValues(t, []string{"ins-p0000001"}, a.Rules[0].Moved)
	assert.EqualValues(t, []string{"ins-t0000002"}, a.Rules[1].Moved)
	assert.Equal(t, [][]string{{"ins-p0000001"}, {"ins-t0000002"}}, f.moved())
	assert.EqualValues(t, 0, f.project("ins-p0000002"), "not named, not moved")
	describes, _ := f.actions()
	require.Len(t, describes, 1)
	assert.Equal(t, cvm.DescribeInstances{InstanceIds: []string{"ins-p0000001", "ins-t0000002", "ins-d0000003", "ins-zzzz0009"}, Limit: 100}, describes[0].Action)
}

// A request naming instances without a ProjectId uses the configured rules.
func TestConfiguredRulesForARequest(t *testing.T) {
	f := newFakeFleet(fleet("p", 2, 0, "env=prod"))
	a := invoke(t, ruleHandler(f, envProd, teamAny), `{"InstanceIds":["ins-p0000001"]}`)
	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.EqualValues(t, []string{"ins-p0000001"}, a.Rules[0].Moved)
	require.Len(t, a.Rules, 2)

	plain := invoke(t, ruleHandler(f, envProd), `{"InstanceIds":["ins-p0000002"],"ProjectId":3}`)
	require.Equal(t, answer.CodeSuccess, plain.Code)
	assert.Empty(t, plain.Rules, "a ProjectId is a plain move")
	assert.EqualValues(t, 3, f.project("ins-p0000002"))
}

// Rules or "Reconcile": true ask for the rules; so do instances without a
// project while rules are configured. Anything else is a move, refused here
// for what it lacks, without a call.
func TestWhichRequestsAreForTheRules(t *testing.T) {
	tests := []struct {
		name, payload string
		set           []rules.Rule
		want          string // the refusal's message
	}{
		{"Rules", `{"Rules":[]}`, nil, "Rules is empty"},
		{"Reconcile", `{"Reconcile":true}`, nil, "Rules is missing"},
		{"instances without a project, no rules: a move missing its project", `{"InstanceIds":["ins-p0000001"]}`, nil, "ProjectId is missing"},
		{"nothing at all is never a reconciliation", `{}`, configured, "InstanceIds is missing"},
		{"a project without instances", `{"ProjectId":3}`, configured, "InstanceIds is missing"},
		{"instances and a project's name", `{"InstanceIds":["ins-p0000001"],"Project":""}`, configured, "Project is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFleet(fleet("p", 1, 0, "env=prod"))
			a := invoke(t, ruleHandler(f, tt.set...), tt.payload)
			assert.Contains(t, a.Message, tt.want)
			assert.Empty(t, f.calls)
		})
	}
}

// A listing that fails part-way is reported on its rule, which moves
// nothing; the other rules go on.
func TestAFailedListingMovesNothingForItsRule(t *testing.T) {
	f := newFakeFleet(fleet("p", 150, 0, "env=prod"), fleet("t", 10, 0, "team=x"))
	f.failDescribe = func(n int, a cvm.DescribeInstances) (cvm.Result, error, bool) {
		if n == 1 { // prod's second page
			return cvm.Result{RequestID: "req-broken"}, &cvm.APIError{RequestID: "req-broken", Code: "InternalServerError", Message: "try again later"}, true
		}
		return cvm.Result{}, nil, false
	}
	a := invoke(t, ruleHandler(f, envProd, teamAny), `{"Reconcile":true}`)

	assert.Equal(t, "InternalServerError", a.Code, "the failed listing is the answer's code")
	assert.Equal(t, "req-broken", a.RequestId)
	assert.Contains(t, a.Message, `the listing of tag "env=prod" in ap-guangzhou stopped after 100 instances`)
	prod := a.Rules[0]
	assert.Empty(t, prod.Moved)
	assert.Zero(t, prod.Matched)
	require.Len(t, prod.Failed, 1)
	assert.Equal(t, answer.Failure{InstanceId: "", Code: "InternalServerError", Message: a.Message}, prod.Failed[0])
	assert.Contains(t, prod.RequestIds, "req-broken")
	assert.Len(t, a.Rules[1].Moved, 10, "the other rule moves")
	assert.Equal(t, [][]string{ids10("t")}, f.moved(), "nothing of prod's first page moves")
	checkReports(t, a)
}

func ids10(prefix string) []string {
	var out []string
	for _, in := range fleet(prefix, 10, 0) {
		out = append(out, in.ID)
	}
	return out
}

// When the listing of named instances fails, no rule moves anything.
func TestAFailedListingOfNamedInstancesMovesNothing(t *testing.T) {
	f := newFakeFleet(fleet("p", 5, 0, "env=prod"))
	f.failDescribe = func(int, cvm.DescribeInstances) (cvm.Result, error, bool) {
		return cvm.Result{}, fmt.Errorf("%w: HTTP 502", cvm.ErrBadResponse), true
	}
	a := invoke(t, ruleHandler(f, envProd, teamAny), `{"InstanceIds":["ins-p0000001"]}`)
	assert.Equal(t, answer.CodeUpstreamBadResponse, a.Code)
	assert.Empty(t, a.RequestId)
	for _, r := range a.Rules {
		require.Len(t, r.Failed, 1)
		assert.Equal(t, answer.CodeUpstreamBadResponse, r.Failed[0].Code)
		assert.Empty(t, r.Moved)
	}
	assert.Empty(t, f.moved())
	assert.Empty(t, a.NotFound, "nothing is known of the instances")
}

// A batch the API refuses is reported on the rules of its instances.
func TestAFailedMoveIsReportedOnItsRule(t *testing.T) {
	f := newFakeFleet(fleet("p", 3, 0, "env=prod"), fleet("t", 2, 0, "team=x"))
	f.failModify = func(a cvm.ModifyInstancesProject) (cvm.Result, error, bool) {
		if a.ProjectId == 7 {
			return cvm.Result{RequestID: "req-lb"}, &cvm.APIError{RequestID: "req-lb", Code: "InvalidInstance.NotSupported", Message: "bound to a load balancer"}, true
		}
		return cvm.Result{}, nil, false
	}
	a := invoke(t, ruleHandler(f, envProd, teamAny), `{"Reconcile":true}`)
	assert.Equal(t, "InvalidInstance.NotSupported", a.Code)
	assert.Equal(t, "req-lb", a.RequestId)
	assert.Len(t, a.Rules[0].Moved, 3)
	team := a.Rules[1]
	assert.Empty(t, team.Moved)
	assert.EqualValues(t, []answer.Failure{
		{InstanceId: "ins-t0000001", Code: "InvalidInstance.NotSupported", Message: "bound to a load balancer"},
		{InstanceId: "ins-t0000002", Code: "InvalidInstance.NotSupported", Message: "bound to a load balancer"},
	}, team.Failed)
	assert.Contains(t, team.RequestIds, "req-lb")
	checkReports(t, a)
}

// A dry run lists and decides, moves nothing, and says what would move.
func TestDryRun(t *testing.T) {
	for _, tt := range []struct {
		name    string
		payload string
		envDry  bool
	}{
		{"asked", `{"Reconcile":true,"DryRun":true}`, false},
		{"DRY_RUN", `{"Reconcile":true}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFleet(fleet("p", 120, 0, "env=prod"), fleet("t", 3, 7, "team=x"))
			h := ruleHandler(f, envProd, teamAny)
			h.Security.DryRun = tt.envDry
			a := invoke(t, h, tt.payload)
			require.Equal(t, answer.CodeSuccess, a.Code)
			assert.Equal(t, "dry run: 120 instances would move; nothing was moved", a.Message)
			assert.Empty(t, a.Batches)
			assert.Len(t, a.Rules[0].Moved, 120, "what would move")
			assert.Equal(t, 3, a.Rules[1].AlreadyInProject)
			assert.Empty(t, f.moved())
			assert.EqualValues(t, 0, f.project("ins-p0000001"))
		})
	}
}

// An EventBridge event: its instances, as they are now, get the configured
// rules; its own tags are not trusted.
func TestEventAppliesTheConfiguredRulesToTheInstancesAsTheyAreNow(t *testing.T) {
	f := newFakeFleet(fleet("p", 2, 0, "env=prod"), fleet("s", 1, 0, "env=dev")) // ins-s0000001 was env=prod when the event was sent
	h := ruleHandler(f, envProd, teamAny)
	a := invoke(t, h, `{"specversion":"1.0","type":"tag:CloudEvent:ApiCall","region":"ap-shanghai","tags":{"env":"prod"},
		"subject":"qcs::cvm:ap-shanghai:uin/1:instance/ins-s0000001","data":{"instanceId":"ins-p0000001"}}`)
	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.EqualValues(t, []string{"ins-s0000001", "ins-p0000001"}, a.InstanceIds)
	assert.EqualValues(t, []string{"ins-p0000001"}, a.Rules[0].Moved)
	assert.EqualValues(t, 0, f.project("ins-s0000001"), "its tags changed since: no move")
	describes, modifies := f.actions()
	require.Len(t, describes, 1)
	assert.Equal(t, "ap-shanghai", describes[0].Region, "the event's region")
	assert.Equal(t, "ap-shanghai", modifies[0].Region)
}

// A batch over two regions lists and moves in each, and sums the reports.
func TestEventBatchOverTwoRegions(t *testing.T) {
	f := newFakeFleet(fleet("p", 3, 0, "env=prod"))
	a := invoke(t, ruleHandler(f, envProd), `{"EventList":[
		{"specversion":"1.0","region":"ap-guangzhou","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-p0000001"},
		{"specversion":"1.0","region":"ap-shanghai","subject":"qcs::cvm:ap-shanghai:uin/1:instance/ins-p0000002"},
		{"specversion":"1.0","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-p0000003"}]}`)
	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.EqualValues(t, []string{"ins-p0000001", "ins-p0000003", "ins-p0000002"}, a.Rules[0].Moved)
	assert.Equal(t, 3, a.Rules[0].Matched)
	var regions []string
	for _, c := range f.calls {
		regions = append(regions, c.Region)
	}
	assert.Equal(t, []string{"ap-guangzhou", "ap-guangzhou", "ap-shanghai", "ap-shanghai"}, regions)
	assert.Len(t, a.Batches, 2)
}

// An event that names no instance is answered NoInstances without a call.
func TestEventWithoutInstances(t *testing.T) {
	f := newFakeFleet()
	for _, payload := range []string{
		`{"specversion":"1.0","type":"cos:created:object","subject":"qcs::cos:ap-guangzhou:uid1:bucket/x.jpg","data":{"key":"x.jpg"}}`,
		`{"EventList":[]}`,
	} {
		out, err := ruleHandler(f, envProd).Invoke(context.Background(), []byte(payload))
		require.NoError(t, err)
		assert.JSONEq(t, `{"RequestId":"","Code":"NoInstances","Message":"the event names no instance (in its subject, resource or data); nothing to do","ProjectId":null,"InstanceIds":[],"Batches":[],"Failed":[],"IsolationCalls":0,"Rules":[],"NotFound":[],"Verified":false,"AlreadyInProject":[],"Pending":[],"SecurityGroups":[]}`, string(out))
	}
	assert.Empty(t, f.calls)
}

// Without rules, an event is refused without a call; so is a bad request.
func TestRefusalsMakeNoCall(t *testing.T) {
	tests := []struct {
		name, payload string
		set           []rules.Rule
		code          string
	}{
		{"an event, no rules", `{"specversion":"1.0","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-p0000001"}`, nil, answer.CodeMissingParameter},
		{"reconcile, no rules", `{"Reconcile":true}`, nil, answer.CodeMissingParameter},
		{"a bad rule set", `{"Rules":[{"Tag":{"Key":"k"},"ProjectId":1},{"Tag":{"Key":"k"},"ProjectId":2}]}`, configured, answer.CodeInvalidParameterValue},
		{"rules and a project", `{"Reconcile":true,"ProjectId":3,"InstanceIds":["ins-p0000001"]}`, configured, answer.CodeInvalidParameterValue},
		{"an event in a bad region", `{"specversion":"1.0","region":"GZ","subject":"qcs::cvm:GZ:uin/1:instance/ins-p0000001"}`, configured, answer.CodeInvalidParameterValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFleet(fleet("p", 1, 0, "env=prod"))
			a := invoke(t, ruleHandler(f, tt.set...), tt.payload)
			assert.Equal(t, tt.code, a.Code)
			assert.NotEmpty(t, a.Message)
			assert.Empty(t, f.calls)
		})
	}
}

// A listing started with no time left is not sent.
func TestNoListingStartsAfterTheDeadline(t *testing.T) {
	f := newFakeFleet(fleet("p", 1, 0, "env=prod"))
	h := ruleHandler(f, envProd)
	h.AnswerMargin = 1 << 62 // every deadline has passed
	ctx, cancel := context.WithTimeout(context.Background(), 1<<40)
	defer cancel()
	out, err := h.Invoke(ctx, []byte(`{"Reconcile":true}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	assert.Equal(t, answer.CodeDeadlineExceeded, a.Code)
	assert.Empty(t, f.calls)
}

// A request's "DryRun": false runs for real even when DRY_RUN says dry.
func TestTheRequestsDryRunWinsOverDRYRUN(t *testing.T) {
	f := newFakeFleet(fleet("p", 3, 0, "env=prod"))
	h := ruleHandler(f, envProd)
	h.Security.DryRun = true
	a := invoke(t, h, `{"Reconcile":true,"DryRun":false}`)
	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.Len(t, f.moved(), 1)
	assert.EqualValues(t, 1045, f.project("ins-p0000001"))
}

// ALLOWED_PROJECT_IDS bounds the rules too: a request's rule into another
// project is refused whole, before any call.
func TestRulesIntoAProjectNotAllowedAreRefused(t *testing.T) {
	f := newFakeFleet(fleet("p", 3, 0, "env=prod"), fleet("t", 3, 0, "team=x"))
	h := ruleHandler(f, envProd, teamAny)
	h.Security.AllowedProjectIDs = []int64{1045}
	for _, payload := range []string{
		`{"Reconcile":true}`, // the configured rules: teamAny sends to 7
		`{"Rules":[{"Tag":{"Key":"team"},"ProjectId":7}]}`,
	} {
		a := invoke(t, h, payload)
		assert.Equal(t, answer.CodeProjectNotAllowed, a.Code, payload)
		assert.Contains(t, a.Message, "project 7")
	}
	describes, modifies := f.actions()
	assert.Empty(t, describes)
	assert.Empty(t, modifies)

	a := invoke(t, h, `{"Rules":[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045}]}`)
	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.EqualValues(t, 1045, f.project("ins-p0000001"))
}

// panickyLister panics while listing, with the secret key in its message.
type panickyLister struct{}

func (panickyLister) Call(context.Context, credentials.Provider, string, cvm.Action, any) (cvm.Result, error) {
	panic("listing broke with Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
}

// A panic inside a rule run is logged with the invocation's keys masked, as
// one inside a move is.
func TestAPanicInARuleRunIsLoggedWithTheKeysMasked(t *testing.T) {
	for name, payload := range map[string]string{
		"reconcile":   `{"Reconcile":true}`,
		"named":       `{"InstanceIds":["ins-00000001"]}`,
		"eventbridge": `{"specversion":"1.0","id":"1","type":"cvm:CloudEvent:ApiCall","source":"cvm.cloud.tencent","region":"ap-guangzhou","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-00000001","data":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &Handler{Runner: run.Runner{CVM: panickyLister{}, Logger: logTo(&logs)}, Rules: []rules.Rule{{Key: "env", ProjectID: 7}}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou"}
			out, err := h.Invoke(context.Background(), []byte(payload))
			if name == "eventbridge" { // nobody reads it: a function error
				var uerr *answer.UnfinishedError
				require.ErrorAs(t, err, &uerr)
				assert.Equal(t, answer.CodeInternalError, uerr.Code)
			} else {
				require.NoError(t, err)
				assert.Equal(t, answer.CodeInternalError, decodeAnswer(t, out).Code)
			}
			require.Contains(t, logs.String(), `"panic"`)
			assert.NotContains(t, logs.String(), "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
			assert.Contains(t, logs.String(), "listing broke with [REDACTED]")
		})
	}
}

// expiringKeys hands out keys that expire ttl after they are issued, each
// with a SecretId of its own.
type expiringKeys struct {
	mu  sync.Mutex
	n   int
	ttl time.Duration
}

func (e *expiringKeys) Retrieve(context.Context) (credentials.Credentials, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	return credentials.Credentials{SecretID: fmt.Sprintf("AKIDtemporary%d", e.n), SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
		Token: "token", Source: "test", Expires: time.Now().Add(e.ttl)}, nil
}

// slowPages answers through the fleet, each call after a pause, and records
// the keys each call got from its keys and whether they had expired: the
// keys a real client would sign with, or refuse.
type slowPages struct {
	*fakeFleet
	pause   time.Duration
	mu      sync.Mutex
	ids     []string
	expired int
}

func (s *slowPages) Call(ctx context.Context, keys credentials.Provider, region string, action cvm.Action, out any) (cvm.Result, error) {
	creds, err := keys.Retrieve(ctx)
	if err != nil {
		return cvm.Result{}, fmt.Errorf("%w: %w", cvm.ErrNotSent, err)
	}
	s.mu.Lock()
	s.ids = append(s.ids, creds.SecretID)
	if creds.Expired(time.Now()) {
		s.expired++
	}
	s.mu.Unlock()
	time.Sleep(s.pause)
	return s.fakeFleet.Call(ctx, keys, region, action, out)
}

// A rule run whose temporary keys expire between two listing pages renews
// them: no page (nor move) is sent with expired keys.
func TestARuleRunRenewsKeysThatExpireBetweenListingPages(t *testing.T) {
	caller := &slowPages{fakeFleet: newFakeFleet(fleet("p", 250, 0, "env=prod")), pause: 40 * time.Millisecond}
	keys := &expiringKeys{ttl: 30 * time.Millisecond}
	h := &Handler{Runner: run.Runner{Logger: discard, CVM: caller}, Rules: []rules.Rule{envProd}, Credentials: keys, DefaultRegion: "ap-guangzhou"}
	a := invoke(t, h, `{"Reconcile":true}`)
	require.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	describes, _ := caller.actions()
	require.GreaterOrEqual(t, len(describes), 3, "250 instances are three pages")
	assert.Zero(t, caller.expired, "calls signed with expired keys: %v", caller.ids)
	assert.Greater(t, len(slices.Compact(slices.Clone(caller.ids))), 1, "the keys were renewed")
}
