package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// counts are a compliance summary's counts.
type counts struct{ Matched, Compliant, Moved, Failed, Conflicts, Skipped int }

// compliance is an answer's Compliance.
type compliance struct {
	counts
	Rules []struct {
		ProjectId int64
		Project   string
		counts
	}
}

// accountAnswer is the answer of a reconciliation over an account.
type accountAnswer struct {
	RequestId, Code, Message string
	Batches                  []struct{ Code string }
	Rules                    []struct {
		ProjectId int64
		Project   string
		Matched   int
		Moved     []string
		Failed    []struct{ InstanceId, Code string }
	}
	Project    string
	ProjectId  *int64
	Compliance *compliance
	Regions    []struct {
		Region, RequestId, Code, Message string
		Compliance                       compliance
		HandedOver                       *struct{ FunctionRequestId string }
	}
}

// The regions of these tests, and the prefix of each one's instances.
var accountRegions = map[string]string{"ap-guangzhou": "g", "ap-shanghai": "s", "ap-beijing": "b"}

// seedRegions adds, in each region of accountRegions, n instances tagged
// env=prod in project 0 and 5 already in project 1045.
func seedRegions(c *cloud, n int) {
	for region, prefix := range accountRegions {
		c.AddInstances(emulator.InRegion(region, emulator.TaggedInstances(prefix, 1, n, 0, emulator.Tag{Key: "env", Value: "prod"})...)...)
		c.AddInstances(emulator.InRegion(region, emulator.TaggedInstances(prefix+"k", 1, 5, 1045, emulator.Tag{Key: "env", Value: "prod"})...)...)
	}
}

// inProject counts the instances of the regions' prefixes in project.
func inProject(c *cloud, project int64, n int) (got int) {
	for _, prefix := range accountRegions {
		for _, in := range emulator.TaggedInstances(prefix, 1, n, 0) {
			if got1, ok := c.Instance(in.ID); ok && got1.ProjectID == project {
				got++
			}
		}
	}
	return got
}

func (fn *function) invokeAccount(t *testing.T, payload []byte, c *cloud, timeout time.Duration) accountAnswer {
	t.Helper()
	raw, err := fn.Invoke(payload, scfrpc.Invocation{Env: fn.env, Timeout: timeout})
	require.NoError(t, err, "an answer, not a function error")
	for _, s := range c.secrets() {
		require.NotContains(t, string(raw), s, "a secret in the answer")
	}
	var a accountAnswer
	require.NoError(t, json.Unmarshal(raw, &a), "%s", raw)
	return a
}

// invocationLine returns the compliance counts of the function's first
// "invocation" log line.
func invocationLine(t *testing.T, fn *function) map[string]float64 {
	t.Helper()
	lines := logLines(t, fn, "invocation", 1)
	require.NotEmpty(t, lines, "an invocation log line")
	out := map[string]float64{}
	for _, k := range []string{"matched", "compliant", "moved", "failed_instances", "conflicts", "skipped", "regions", "regions_failed", "regions_handed_over"} {
		v, ok := lines[0][k].(float64)
		require.True(t, ok, "%s in %v", k, lines[0])
		out[k] = v
	}
	return out
}

func reconcileRequest(t *testing.T, fields map[string]any) []byte {
	t.Helper()
	req := map[string]any{"Reconcile": true, "Rules": json.RawMessage(`[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045}]`)}
	for k, v := range fields {
		req[k] = v
	}
	b, err := json.Marshal(req)
	require.NoError(t, err)
	return b
}

// A reconciliation over three regions, by list and by "*", lists and
// moves each region's instances in that region and answers a section per
// region, with a compliance summary.
func TestReconcileRegions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		regions any
		env     []string
	}{
		{"a list", []string{"ap-guangzhou", "ap-shanghai", "ap-beijing"}, nil},
		{"every region", "*", nil},
		{"RECONCILE_REGIONS=*", nil, []string{"RECONCILE_REGIONS=*"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCloud(t)
			seedRegions(c, 150)
			fn := startFunction(t, c, tt.env...)
			fields := map[string]any{}
			if tt.regions != nil {
				fields["Regions"] = tt.regions
			}
			a := fn.invokeAccount(t, reconcileRequest(t, fields), c, 30*time.Second)
			require.Equal(t, "Success", a.Code, a.Message)
			assert.Equal(t, 3*150, inProject(c, 1045, 150), "every instance of every region moved")
			require.Len(t, a.Regions, 3)
			for _, r := range a.Regions {
				assert.Equal(t, "Success", r.Code, r.Region)
				assert.Equal(t, counts{Matched: 155, Compliant: 5, Moved: 150}, r.Compliance.counts, r.Region)
			}
			require.NotNil(t, a.Compliance)
			assert.Equal(t, counts{Matched: 465, Compliant: 15, Moved: 450}, a.Compliance.counts)
			logged := invocationLine(t, fn)
			assert.Equal(t, map[string]float64{"matched": 465, "compliant": 15, "moved": 450, "failed_instances": 0, "conflicts": 0, "skipped": 0,
				"regions": 3, "regions_failed": 0, "regions_handed_over": 0}, logged, "the log line carries the counts")
			for _, call := range c.moves() {
				prefix := accountRegions[call.Region]
				require.NotEmpty(t, prefix, "a move in region %q", call.Region)
				for _, id := range call.InstanceIDs {
					assert.Equal(t, "ins-"+prefix, id[:4+len(prefix)], "%s moved in its own region %s", id, call.Region)
				}
			}
		})
	}
}

// A rule names its project; the answer shows the name and the id.
func TestARuleNamesItsProject(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	seedRegions(c, 20)
	c.AddProjects(emulator.Project{ID: 1045, Name: "prod"}, emulator.Project{ID: 7, Name: "data"})
	fn := startFunction(t, c, "ALLOWED_PROJECT_IDS=0,name:prod")
	a := fn.invokeAccount(t, reconcileRequest(t, map[string]any{
		"Regions": []string{"ap-guangzhou", "ap-beijing"},
		"Rules":   json.RawMessage(`[{"Tag":{"Key":"env","Value":"prod"},"Project":"prod"}]`),
	}), c, 30*time.Second)
	require.Equal(t, "Success", a.Code, a.Message)
	require.Len(t, a.Rules, 1)
	assert.Equal(t, int64(1045), a.Rules[0].ProjectId)
	assert.Equal(t, "prod", a.Rules[0].Project)
	assert.Equal(t, "prod", a.Compliance.Rules[0].Project)
	assert.Equal(t, 40, a.Compliance.Moved)
	assert.Len(t, c.callsOf(emulator.ActionDescribeProjects), 1, "one DescribeProjects: the name, resolved once")

	// A warm process remembers the name: a second run calls no DescribeProjects.
	fn.invokeAccount(t, reconcileRequest(t, map[string]any{
		"Regions": []string{"ap-shanghai"},
		"Rules":   json.RawMessage(`[{"Tag":{"Key":"env","Value":"prod"},"Project":"prod"}]`),
	}), c, 30*time.Second)
	assert.Len(t, c.callsOf(emulator.ActionDescribeProjects), 1)
	assert.Equal(t, 60, inProject(c, 1045, 20))

	// A move by name into a project the allow-list does not name: 403, no move.
	before := len(c.moves())
	b := fn.invokeAccount(t, []byte(`{"InstanceIds":["ins-g0000001"],"Project":"data"}`), c, 10*time.Second)
	assert.Equal(t, "UnauthorizedOperation.ProjectNotAllowed", b.Code, b.Message)
	assert.Len(t, c.moves(), before)
}

// An unknown name, and one that two projects have, are refused before any
// move, with a 4xx code.
func TestAProjectNameUnknownOrAmbiguousMovesNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, request, code string
		status              int
	}{
		{"a rule's unknown name", string(reconcileRequest(t, map[string]any{"Rules": json.RawMessage(`[{"Tag":{"Key":"env","Value":"prod"},"Project":"prdo"}]`)})), "InvalidProjectId.NotFound", 404},
		{"a rule's ambiguous name", string(reconcileRequest(t, map[string]any{"Rules": json.RawMessage(`[{"Tag":{"Key":"env","Value":"prod"},"Project":"shared"}]`)})), "InvalidParameterValue.ProjectNameAmbiguous", 400},
		{"a move's unknown name", `{"InstanceIds":["ins-g0000001"],"Project":"prdo"}`, "InvalidProjectId.NotFound", 404},
		{"a move's ambiguous name", `{"InstanceIds":["ins-g0000001"],"Project":"shared"}`, "InvalidParameterValue.ProjectNameAmbiguous", 400},
		{"both ProjectId and Project", `{"InstanceIds":["ins-g0000001"],"ProjectId":1045,"Project":"prod"}`, "InvalidParameterValue", 400},
		{"a move with Regions", `{"InstanceIds":["ins-g0000001"],"ProjectId":1045,"Regions":"*"}`, "InvalidParameterValue", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCloud(t)
			seedRegions(c, 5)
			c.AddProjects(emulator.Project{ID: 1045, Name: "prod"}, emulator.Project{ID: 11, Name: "shared"}, emulator.Project{ID: 12, Name: "shared", Hidden: true})
			fn := startFunction(t, c)
			body, err := json.Marshal(tt.request)
			require.NoError(t, err)
			a, status := fn.invoke(t, []byte(`{"httpMethod":"POST","path":"/","queryString":{},"headers":{"authorization":"Bearer `+apiToken+`","content-type":"application/json"},"body":`+string(body)+`}`), c)
			assert.Equal(t, tt.code, a.Code, a.Message)
			assert.Equal(t, tt.status, status)
			assert.Empty(t, c.moves(), "no move")
		})
	}
}

// One region failing leaves the others going: a timer's reconciliation
// moves them and fails the invocation, so SCF retries it.
func TestOneRegionFailsTheOthersFinish(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	seedRegions(c, 50)
	c.FailRegion("ap-shanghai", "InternalError")
	fn := startFunction(t, c, projectRules, "RECONCILE_REGIONS=ap-guangzhou,ap-shanghai,ap-beijing", "MAX_RETRIES=0")
	ferr := fn.invokeFunctionError(t, sample(t, "rules-timer-reconcile.json"), c, 20*time.Second)
	assert.Contains(t, ferr.Message, "listings did not complete")
	for region, prefix := range accountRegions {
		want := int64(1045)
		if region == "ap-shanghai" {
			want = 0
		}
		for _, in := range emulator.TaggedInstances(prefix, 1, 50, 0) {
			require.Equal(t, want, c.project(t, in.ID), "%s in %s", in.ID, region)
		}
	}

	// A direct invocation reads the same answer: a section per region.
	a := fn.invokeAccount(t, reconcileRequest(t, map[string]any{"Regions": []string{"ap-guangzhou", "ap-shanghai"}}), c, 20*time.Second)
	assert.Equal(t, "InternalError", a.Code)
	require.Len(t, a.Regions, 2)
	assert.Equal(t, "Success", a.Regions[0].Code)
	assert.Equal(t, "InternalError", a.Regions[1].Code)

	c.FailRegion("ap-shanghai", "")
	_, err := fn.Invoke(sample(t, "rules-timer-reconcile.json"), scfrpc.Invocation{Env: fn.env, Timeout: 20 * time.Second})
	require.NoError(t, err, "the retry finishes")
	assert.Equal(t, 150, inProject(c, 1045, 50))
}

// A dry run's summary is what the real run then does.
func TestADryRunsSummaryIsWhatTheRunDoes(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	seedRegions(c, 120)
	c.AddInstances(emulator.InRegion("ap-beijing", emulator.TaggedInstances("bx", 1, 4, 0, emulator.Tag{Key: "env", Value: "prod"}, emulator.Tag{Key: "team", Value: "ops"})...)...)
	fn := startFunction(t, c, projectRules)
	dry := fn.invokeAccount(t, []byte(`{"Reconcile":true,"Regions":"*","DryRun":true}`), c, 30*time.Second)
	require.Equal(t, "Success", dry.Code, dry.Message)
	assert.Empty(t, c.moves())
	real := fn.invokeAccount(t, []byte(`{"Reconcile":true,"Regions":"*"}`), c, 30*time.Second)
	require.Equal(t, "Success", real.Code, real.Message)
	require.NotNil(t, dry.Compliance)
	assert.Equal(t, *dry.Compliance, *real.Compliance)
	assert.Equal(t, 360, real.Compliance.Moved)
	assert.Equal(t, 4, real.Compliance.Rules[0].Conflicts)
	for i := range dry.Regions {
		assert.Equal(t, dry.Regions[i].Compliance, real.Regions[i].Compliance, dry.Regions[i].Region)
	}
}

// An account too large for the invocation's time is handed region by
// region to asynchronous invocations of the function (SCF Invoke, Event);
// delivered as SCF would, they reconcile every region.
func TestAnAccountTooLargeIsHandedToInvocations(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	seedRegions(c, 1000)
	c.AddFunction("", "cvm-project")
	fn := startFunction(t, c, projectRules, "RECONCILE_REGIONS=*", "SCF_FUNCTIONNAME=cvm-project", "SCF_NAMESPACE=default",
		"INVOKE_ENDPOINT="+c.base+emulator.PathSCF)
	a := fn.invokeAccount(t, sample(t, "rules-timer-reconcile.json"), c, 4*time.Second)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Contains(t, a.Message, "3 of 3 regions were handed to asynchronous invocations")
	assert.Empty(t, c.moves(), "the fan-out moves nothing itself")
	require.Len(t, a.Regions, 3)
	for _, r := range a.Regions {
		require.NotNil(t, r.HandedOver, r.Region)
	}

	delivered := 0
	for round := 0; round < 5; round++ {
		invs := c.DrainInvocations()
		if len(invs) == 0 {
			break
		}
		for _, inv := range invs {
			assert.Equal(t, "Event", inv.InvocationType)
			assert.Equal(t, "cvm-project", inv.FunctionName)
			_, err := fn.Invoke(inv.Event(), scfrpc.Invocation{Env: fn.env, Timeout: 60 * time.Second})
			require.NoError(t, err, "the handed-over invocation of %s finishes", inv.ClientContext)
			delivered++
		}
	}
	assert.Equal(t, 3, delivered)
	assert.Equal(t, 3000, inProject(c, 1045, 1000), "every region reconciled")
	regions := map[string]bool{}
	for _, call := range c.moves() {
		regions[call.Region] = true
	}
	assert.Len(t, regions, 3)
}

// A fan-out whose Invoke is refused (here: the function name is not
// known to SCF) moves nothing and says so per region.
func TestAFanOutRefusedMovesNothing(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	seedRegions(c, 1000)
	fn := startFunction(t, c, projectRules, "SCF_FUNCTIONNAME=cvm-project", "INVOKE_ENDPOINT="+c.base+emulator.PathSCF)
	a := fn.invokeAccount(t, reconcileRequest(t, map[string]any{"Regions": "*"}), c, 4*time.Second)
	assert.Equal(t, emulator.CodeFunctionNotFound, a.Code, a.Message)
	require.Len(t, a.Regions, 3)
	for _, r := range a.Regions {
		assert.Equal(t, emulator.CodeFunctionNotFound, r.Code, r.Region)
		assert.Nil(t, r.HandedOver)
		assert.NotEmpty(t, r.RequestId, "the Invoke's RequestId")
	}
	assert.Empty(t, c.moves())
	assert.Empty(t, c.Invocations())
}
