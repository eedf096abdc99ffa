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

// Issue 12: every named instance ends in a verified state, in its own
// region, with its security groups.

var envProdTag = emulator.Tag{Key: "env", Value: "prod"}

// place puts the instance id in region, tagged env=prod, in project 0.
func place(t *testing.T, c *cloud, id, region string) {
	t.Helper()
	c.AddInstances(emulator.Instance{ID: id, Region: region, Tags: []emulator.Tag{envProdTag}})
}

func regionsOf(calls []emulator.Call) []string {
	var out []string
	for _, call := range calls {
		out = append(out, call.Region)
	}
	return out
}

// "An event's instances move in the regions their names give": the case
// of issue 12 (an event of ap-shanghai naming an instance of ap-beijing),
// and one delivery naming instances of two regions.
func TestAnEventsInstancesMoveInTheRegionsTheirNamesGive(t *testing.T) {
	t.Parallel()
	caseFile, err := os.ReadFile(filepath.Join("testdata", "cases", "01-eb-resource-region-ignored.json"))
	require.NoError(t, err)
	twoRegions := []byte(`{"EventList":[{"specversion":"1.0","type":"tag:CloudEvent:ApiCall","source":"tag.cloud.tencent",
		"subject":"qcs::tag:ap-guangzhou:uin/100000000001:tag","region":"ap-guangzhou",
		"data":{"eventName":"TagResources","eventRegion":"ap-guangzhou","requestParameters":{"ResourceList":[
			"qcs::cvm:ap-beijing:uin/100000000001:instance/ins-00000021",
			"qcs::cvm:ap-shanghai:uin/100000000001:instance/ins-00000022"],"Tags":[{"TagKey":"env","TagValue":"prod"}]}}}]}`)
	tests := []struct {
		name    string
		event   []byte
		regions map[string]string // instance → its region
		want    []string          // the regions of the listings and of the moves, in order
	}{
		{"the case file: ap-beijing, not the event's ap-shanghai", caseFile, map[string]string{"ins-00000008": "ap-beijing"}, []string{"ap-beijing"}},
		{"one delivery over two regions", twoRegions, map[string]string{"ins-00000021": "ap-beijing", "ins-00000022": "ap-shanghai"}, []string{"ap-beijing", "ap-shanghai"}},
		// The Tag API's calls on bare ResourceIds say where they are in
		// ResourceRegion, not in the region the call was made in.
		{"AttachResourcesTag: its ResourceRegion", tagAuditEvent(t, "AttachResourcesTag",
			map[string]any{"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceIds": []string{"ins-00000031", "ins-00000032"}, "TagKey": "env", "TagValue": "prod", "ResourceRegion": "ap-beijing"}),
			map[string]string{"ins-00000031": "ap-beijing", "ins-00000032": "ap-beijing"}, []string{"ap-beijing"}},
		{"ModifyResourcesTagValue: its ResourceRegion", tagAuditEvent(t, "ModifyResourcesTagValue",
			map[string]any{"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceIds": []string{"ins-00000033"}, "TagKey": "env", "TagValue": "prod", "ResourceRegion": "ap-chengdu"}),
			map[string]string{"ins-00000033": "ap-chengdu"}, []string{"ap-chengdu"}},
		{"DetachResourcesTag: its ResourceRegion", tagAuditEvent(t, "DetachResourcesTag",
			map[string]any{"ServiceType": "cvm", "ResourcePrefix": "instance", "ResourceIds": []string{"ins-00000034"}, "TagKey": "team", "ResourceRegion": "ap-nanjing"}),
			map[string]string{"ins-00000034": "ap-nanjing"}, []string{"ap-nanjing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCloud(t)
			for id, region := range tt.regions {
				place(t, c, id, region)
			}
			fn := startFunction(t, c, projectRules)
			a, _ := fn.invoke(t, tt.event, c)

			require.Equal(t, "Success", a.Code, a.Message)
			assert.True(t, a.Verified, "every move confirmed")
			assert.Empty(t, a.NotFound)
			for id := range tt.regions {
				assert.EqualValues(t, 1045, c.project(t, id), id)
			}
			describes, modifies := calls(c)
			assert.Equal(t, tt.want, regionsOf(describes), "listed in the instances' regions")
			assert.Equal(t, tt.want, regionsOf(modifies), "moved in the instances' regions")
			assert.Equal(t, tt.want, regionsOf(confirms(c)), "confirmed in the instances' regions")
		})
	}
}

// "Not found is not success", for a request and for an event; an instance
// an event names before it is listed is read again until it is.
func TestNotFoundIsNeverSuccess(t *testing.T) {
	t.Run("a request: none exists in its region", func(t *testing.T) {
		c := newCloud(t)
		place(t, c, "ins-00000031", "ap-beijing")
		fn := startFunction(t, c)
		a, status := fn.invoke(t, apigwPayload(t, directPayload(t, []string{"ins-00000031"}, 1045)), c)
		assert.Equal(t, "InvalidInstanceId.NotFound", a.Code, a.Message)
		assert.Equal(t, 404, status)
		assert.Equal(t, []string{"ins-00000031"}, a.NotFound)
		assert.EqualValues(t, 0, c.project(t, "ins-00000031"))
	})
	t.Run("a request: some moved", func(t *testing.T) {
		c := newCloud(t)
		place(t, c, "ins-00000031", "ap-beijing")
		fn := startFunction(t, c, "SKIP_INVALID=true")
		a, status := fn.invoke(t, apigwPayload(t, directPayload(t, []string{"ins-00000030", "ins-00000031"}, 1045)), c)
		assert.Equal(t, "PartialSuccess", a.Code, a.Message)
		assert.Equal(t, 207, status)
		assert.Equal(t, []string{"ins-00000031"}, a.NotFound)
		assert.EqualValues(t, 1045, c.project(t, "ins-00000030"))
	})
	t.Run("an event: none exists, read again for a while", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, projectRules)
		start := time.Now()
		a, _ := fn.invoke(t, []byte(`{"specversion":"1.0","region":"ap-guangzhou","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-0000dead"}`), c)
		assert.Equal(t, "InvalidInstanceId.NotFound", a.Code, a.Message)
		assert.Equal(t, []string{"ins-0000dead"}, a.NotFound)
		describes, _ := calls(c)
		assert.Len(t, describes, 1+4, "the listing and four reads again")
		assert.Less(t, time.Since(start), 6*time.Second, "a bounded time")
	})
	t.Run("an event: the instance appears while it is read again", func(t *testing.T) {
		c := newCloud(t)
		fn := startFunction(t, c, projectRules)
		appear := time.AfterFunc(600*time.Millisecond, func() { place(t, c, "ins-0000new1", "ap-guangzhou") })
		defer appear.Stop()
		a, _ := fn.invoke(t, []byte(`{"specversion":"1.0","region":"ap-guangzhou","subject":"qcs::cvm:ap-guangzhou:uin/1:instance/ins-0000new1"}`), c)
		require.Equal(t, "Success", a.Code, a.Message)
		assert.Empty(t, a.NotFound)
		assert.EqualValues(t, 1045, c.project(t, "ins-0000new1"))
	})
}

// "An operation confirmed before the answer, one that ends FAILED, one
// still OPERATING at the deadline".
func TestEachMoveIsConfirmed(t *testing.T) {
	t.Run("confirmed before the answer", func(t *testing.T) {
		c := newCloud(t)
		c.SetOperationDuration(time.Second)
		fn := startFunction(t, c)
		start := time.Now()
		a, _ := fn.invoke(t, directPayload(t, ids(1, 2), 1045), c)
		require.Equal(t, "Success", a.Code, a.Message)
		assert.True(t, a.Verified)
		assert.Empty(t, a.Pending)
		assert.GreaterOrEqual(t, time.Since(start), time.Second, "answered once the operation ended")
		// A probe at 0.25 s, then a poll when the operation is expected to
		// end (1 s, the first guess): SUCCESS.
		assert.Len(t, confirms(c), 2, "read while OPERATING, then SUCCESS when expected")
	})
	t.Run("one ends FAILED", func(t *testing.T) {
		c := newCloud(t)
		require.True(t, c.SetFailMove("ins-00000002", true))
		fn := startFunction(t, c)
		a, status := fn.invoke(t, apigwPayload(t, directPayload(t, ids(1, 2), 1045)), c)
		require.Equal(t, "PartialSuccess", a.Code, a.Message)
		assert.Equal(t, 207, status)
		assert.True(t, a.Verified, "both operations ended")
		require.Len(t, a.Failed, 1)
		assert.Equal(t, "ins-00000002", a.Failed[0].InstanceId)
		assert.Equal(t, "FailedOperation.ModifyInstancesProject", a.Failed[0].Code)
		assert.Contains(t, a.Failed[0].Message, a.Batches[0].RequestId)
		assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
		assert.EqualValues(t, 0, c.project(t, "ins-00000002"))
	})
	t.Run("still OPERATING at the deadline: Pending in the answer, a function error for a timer", func(t *testing.T) {
		c := newCloud(t)
		c.SetOperationDuration(time.Hour)
		fn := startFunction(t, c)
		start := time.Now()
		// A direct invocation is read: it gets the answer, with Pending.
		a, _ := fn.invokeWith(t, directPayload(t, []string{"ins-00000009", "ins-00000010"}, 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 3 * time.Second})
		require.Equal(t, "OperationPending", a.Code, a.Message)
		assert.False(t, a.Verified)
		assert.Equal(t, a.InstanceIds, a.Pending, "every instance still moving")
		assert.Less(t, time.Since(start), 3*time.Second, "answered before the deadline")
		assert.NotEmpty(t, confirms(c))

		// A timer nobody reads: pending work is unfinished work, a function
		// error for SCF to deliver again.
		c = newCloud(t)
		c.SetOperationDuration(time.Hour)
		fn = startFunction(t, c)
		ferr := fn.invokeFunctionError(t, sample(t, "timer.json"), c, 3*time.Second)
		assert.Contains(t, ferr.Message, "OperationPending")
		assert.Contains(t, ferr.Message, "2 pending")
		// Nobody reads that answer: the log has it whole, each instance's
		// outcome with it.
		lines := logLines(t, fn, "invocation", 1)
		require.Len(t, lines, 1, fn.Output())
		assert.Equal(t, true, lines[0]["function_error"])
		logged, ok := lines[0]["answer"].(map[string]any)
		require.True(t, ok, "the answer is in the log line: %v", lines[0])
		assert.Equal(t, "OperationPending", logged["Code"])
		assert.Len(t, logged["Pending"], 2)
	})
}

// "An instance already in the project is never sent."
func TestAnInstanceAlreadyInTheProjectIsNeverSent(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.AddInstances(emulator.Instance{ID: "ins-00000005", ProjectID: 1045})
	fn := startFunction(t, c)
	a, _ := fn.invoke(t, directPayload(t, ids(4, 6), 1045), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.True(t, a.Verified)
	assert.Equal(t, []string{"ins-00000005"}, a.AlreadyInProject)
	moves := c.moves()
	require.Len(t, moves, 1)
	assert.Equal(t, []string{"ins-00000004", "ins-00000006"}, moves[0].InstanceIDs)

	t.Run("all there: nothing sent, still Success", func(t *testing.T) {
		a, _ := fn.invoke(t, directPayload(t, ids(4, 6), 1045), c)
		require.Equal(t, "Success", a.Code, a.Message)
		assert.Equal(t, ids(4, 6), a.AlreadyInProject)
		assert.Len(t, c.moves(), 1, "no second move")
		assert.NotEmpty(t, a.RequestId, "the read's")
	})
}

// "Security groups reported, and restored with KEEP_SECURITY_GROUPS=true".
func TestSecurityGroupsSurviveTheMove(t *testing.T) {
	t.Parallel()
	groups := []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}
	for _, keep := range []bool{false, true} {
		name := "reported"
		env := []string{}
		if keep {
			name, env = "restored", []string{"KEEP_SECURITY_GROUPS=true"}
		}
		t.Run(name, func(t *testing.T) {
			c := newCloud(t)
			c.SetDetachSecurityGroupsOnMove(true)
			for _, id := range ids(1, 3) {
				require.True(t, c.SetSecurityGroups(id, groups...))
			}
			require.True(t, c.SetSecurityGroups("ins-00000004", "sg-cccccccc"))
			fn := startFunction(t, c, env...)
			a, _ := fn.invoke(t, directPayload(t, ids(1, 5), 1045), c)
			require.Equal(t, "Success", a.Code, a.Message)
			assert.True(t, a.Verified)
			require.Len(t, a.SecurityGroups, 4, "ins-00000005 had none to lose")
			for i, g := range a.SecurityGroups {
				assert.Equal(t, ids(i+1, i+1)[0], g.InstanceId)
				assert.Empty(t, g.After, "detached by the move")
				assert.Equal(t, keep, g.Restored)
				assert.Empty(t, g.Code)
			}
			assert.Equal(t, groups, a.SecurityGroups[0].Before)
			assert.Equal(t, []string{"sg-cccccccc"}, a.SecurityGroups[3].Before)

			attrs := c.callsOf(emulator.ActionModifyAttribute)
			in1, _ := c.Instance("ins-00000001")
			in4, _ := c.Instance("ins-00000004")
			if !keep {
				assert.Empty(t, attrs)
				assert.Empty(t, in1.SecurityGroupIDs)
				return
			}
			require.Len(t, attrs, 2, "one call per list of groups")
			assert.Equal(t, ids(1, 3), attrs[0].InstanceIDs)
			assert.Equal(t, groups, attrs[0].SecurityGroups)
			assert.Equal(t, []string{"ins-00000004"}, attrs[1].InstanceIDs)
			assert.Equal(t, groups, in1.SecurityGroupIDs)
			assert.Equal(t, []string{"sg-cccccccc"}, in4.SecurityGroupIDs)
			assert.EqualValues(t, 1045, in1.ProjectID)
		})
	}
	t.Run("a failed restore is reported and does not undo the move", func(t *testing.T) {
		c := newCloud(t)
		c.SetDetachSecurityGroupsOnMove(true)
		require.True(t, c.SetSecurityGroups("ins-00000001", "sg-aaaaaaaa", "sg-bbbbbbbb", "sg-cccccccc", "sg-dddddddd", "sg-eeeeeeee", "sg-ffffffff"))
		fn := startFunction(t, c, "KEEP_SECURITY_GROUPS=true")
		a, _ := fn.invoke(t, directPayload(t, ids(1, 1), 1045), c)
		require.Len(t, a.SecurityGroups, 1)
		assert.False(t, a.SecurityGroups[0].Restored)
		assert.Equal(t, "LimitExceeded.AssociateUSGLimitExceeded", a.SecurityGroups[0].Code)
		assert.EqualValues(t, 1045, c.project(t, "ins-00000001"), "the move stands")
	})
}

// "A dry run sends neither write": it reads, decides and reports.
func TestADryRunReadsAndSendsNoWrite(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.SetDetachSecurityGroupsOnMove(true)
	c.AddInstances(emulator.Instance{ID: "ins-00000002", ProjectID: 1045})
	require.True(t, c.SetSecurityGroups("ins-00000001", "sg-aaaaaaaa"))
	fn := startFunction(t, c, "KEEP_SECURITY_GROUPS=true")
	payload, err := json.Marshal(map[string]any{"InstanceIds": ids(1, 3), "ProjectId": 1045, "DryRun": true})
	require.NoError(t, err)
	a, _ := fn.invoke(t, payload, c)

	require.Equal(t, "DryRunOperation", a.Code, a.Message)
	assert.Empty(t, c.writes(), "no ModifyInstancesProject, no ModifyInstancesAttribute")
	assert.NotEmpty(t, c.callsOf(emulator.ActionDescribe), "it reads")
	assert.Equal(t, []string{"ins-00000002"}, a.AlreadyInProject)
	require.Len(t, a.Batches, 1)
	assert.Equal(t, []string{"ins-00000001", "ins-00000003"}, a.Batches[0].InstanceIds, "what would move")
	require.Len(t, a.SecurityGroups, 1)
	assert.Equal(t, "ins-00000001", a.SecurityGroups[0].InstanceId)
	assert.Equal(t, []string{"sg-aaaaaaaa"}, a.SecurityGroups[0].Before)
	assert.Nil(t, a.SecurityGroups[0].After)
	assert.False(t, a.Verified, "nothing was moved, nothing confirmed")
	assert.EqualValues(t, 0, c.project(t, "ins-00000001"))
}

// Without cvm:DescribeInstances the moves still happen, and the answer
// says they were not verified and why.
func TestWithoutDescribeInstancesTheMovesAreNotVerified(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.FailDescribeInstances(0, "AuthFailure.UnauthorizedOperation")
	fn := startFunction(t, c)
	a, status := fn.invoke(t, apigwPayload(t, directPayload(t, ids(1, 2), 1045)), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Equal(t, 200, status)
	assert.False(t, a.Verified)
	assert.Contains(t, a.NotVerified, "cvm:DescribeInstances")
	assert.Contains(t, a.Message, "not verified")
	assert.Empty(t, a.Pending)
	assert.Len(t, c.moves(), 1)
	assert.EqualValues(t, 1045, c.project(t, "ins-00000002"))
	assert.True(t, slices.ContainsFunc(c.Calls(), func(call emulator.Call) bool { return call.Code == "AuthFailure.UnauthorizedOperation" }))
}

// Instances that SkipInvalid's isolation moved are confirmed by the calls
// that moved them: one whose operation ends FAILED is in Failed, not
// Pending.
func TestIsolatedMovesAreConfirmed(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	require.True(t, c.SetFailMove("ins-00000003", true))
	fn := startFunction(t, c, "SKIP_INVALID=true")
	a, _ := fn.invoke(t, directPayload(t, []string{"ins-00000001", "ins-0000dead", "ins-lb000001", "ins-00000003"}, 1045), c)
	require.Equal(t, "PartialSuccess", a.Code, a.Message)
	assert.True(t, a.Verified)
	assert.Empty(t, a.Pending)
	assert.Equal(t, []string{"ins-0000dead"}, a.NotFound, "not found by the read before: not sent")
	var failed []string
	for _, f := range a.Failed {
		failed = append(failed, f.InstanceId+" "+f.Code)
	}
	assert.ElementsMatch(t, []string{"ins-lb000001 InvalidInstance.NotSupported", "ins-00000003 FailedOperation.ModifyInstancesProject"}, failed)
	assert.EqualValues(t, 1045, c.project(t, "ins-00000001"))
	for _, m := range c.moves() {
		assert.NotContains(t, m.InstanceIDs, "ins-0000dead", "an instance the read did not find is never sent")
	}
}

// An instance the read before the move does not find is not sent: the API
// would refuse its whole batch, and the others with it. The others move;
// the answer is PartialSuccess with the unknown one in NotFound.
func TestAnInstanceNotFoundIsNotSentAndTheOthersMove(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	a, _ := fn.invoke(t, directPayload(t, []string{"ins-00000009", "ins-0000dead"}, 9), c)
	require.Equal(t, "PartialSuccess", a.Code, a.Message)
	assert.Equal(t, []string{"ins-0000dead"}, a.NotFound)
	assert.EqualValues(t, 9, c.project(t, "ins-00000009"))
	require.Len(t, c.moves(), 1)
	assert.Equal(t, []string{"ins-00000009"}, c.moves()[0].InstanceIDs)

	a, _ = fn.invoke(t, directPayload(t, []string{"ins-0000dead"}, 9), c)
	assert.Equal(t, "InvalidInstanceId.NotFound", a.Code, a.Message)
	assert.Len(t, c.moves(), 1, "nothing sent for an instance that does not exist")
}

// Why a move was not verified is told in words, like every message of an
// answer: never the function's own socket address.
func TestNotVerifiedHasNoSocketAddress(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.Script(repeat(emulator.Fault{Kind: emulator.FaultReset}, 10)...)
	fn := startFunction(t, c, "MAX_RETRIES=0")
	a, _ := fn.invoke(t, directPayload(t, []string{"ins-00000001"}, 1045), c)
	require.NotEmpty(t, a.NotVerified, "%s: %s", a.Code, a.Message)
	for _, m := range []string{a.Message, a.NotVerified} {
		assert.NotContains(t, m, "->", "no socket address")
		assert.NotRegexp(t, `127\.0\.0\.1:\d+`, strings.ReplaceAll(m, strings.TrimPrefix(c.base, "http://"), "<endpoint>"))
	}
}

// tagAuditEvent is the EventBridge event of CloudAudit's log of a Tag API
// write call made in ap-guangzhou (the call's region, and the common
// Region an SDK sends), its requestParameters JSON text as CloudAudit
// gives them.
func tagAuditEvent(t *testing.T, action string, params map[string]any) []byte {
	t.Helper()
	params["Region"] = "ap-guangzhou"
	p, err := json.Marshal(params)
	require.NoError(t, err)
	ev, err := json.Marshal(map[string]any{
		"specversion": "1.0", "id": "5f1e6a2c-8b3d-4e7f-9a0b-1c2d3e4f5a6b", "type": "tag:CloudEvent:ApiCall", "source": "tag.cloud.tencent",
		"subject": "qcs::tag:ap-guangzhou:uin/100000000001:tag", "region": "ap-guangzhou", "time": 1716170400123,
		"data": map[string]any{
			"eventName": action, "eventSource": "tag.tencentcloudapi.com", "eventRegion": "ap-guangzhou", "apiVersion": "2018-08-13",
			"actionType": "Write", "resourceType": "tag", "requestParameters": string(p),
			"responseElements": `{"RequestId":"3a1f0c6e-77b1-4d0e-8f36-2b7a9d5c4e11"}`,
		},
	})
	require.NoError(t, err)
	return ev
}
