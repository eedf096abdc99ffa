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

// recordKey is the function's own tag (run.RecordKey): the groups kept on
// the instance while it moves.
const recordKey = "cvm-project-mover:security-groups"

// groupsCloud is an emulator whose moves detach every group, with
// instances 1 to n bound to sg-aaaaaaaa and sg-bbbbbbbb.
func groupsCloud(t *testing.T, n int) *cloud {
	c := newCloud(t)
	c.SetDetachSecurityGroupsOnMove(true)
	for _, id := range ids(1, n) {
		require.True(t, c.SetSecurityGroups(id, "sg-aaaaaaaa", "sg-bbbbbbbb"))
	}
	return c
}

// instance reads id from the emulator.
func instance(t *testing.T, c *cloud, id string) emulator.Instance {
	t.Helper()
	in, ok := c.Instance(id)
	require.True(t, ok, id)
	return in
}

func hasRecord(in emulator.Instance) bool {
	for _, tag := range in.Tags {
		if tag.Key == recordKey {
			return true
		}
	}
	return false
}

// A move that outlasts its invocation: the groups were recorded on the
// instance, so SCF's retry, in a new process that remembers nothing,
// finds the instance moved and restores them from the record.
func TestARetryRestoresTheGroupsOfAMoveThatOutlastedItsInvocation(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 2)
	c.SetOperationDuration(3 * time.Second)
	payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 2), "ProjectId": 1045, "Async": true})
	first := startFunction(t, c, "KEEP_SECURITY_GROUPS=true")
	first.invokeFunctionError(t, payload, c, 2*time.Second)
	require.True(t, hasRecord(instance(t, c, "ins-00000001")), "the groups are recorded on the instance before its move")
	time.Sleep(1500 * time.Millisecond) // the moves end; the groups are gone

	retry := startFunction(t, c, "KEEP_SECURITY_GROUPS=true") // a new process
	a, _ := retry.invoke(t, payload, c)
	require.Equal(t, "Success", a.Code, a.Message)
	for _, id := range ids(1, 2) {
		in := instance(t, c, id)
		assert.EqualValues(t, 1045, in.ProjectID)
		assert.Equal(t, []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, in.SecurityGroupIDs, "%s: restored by the retry", id)
		assert.False(t, hasRecord(in), "%s: no record left behind", id)
	}
	assert.Len(t, c.moves(), 1, "the retry does not move them again")
}

// A restore that fails is unfinished work: a function error, the record
// kept; the retry finishes it.
func TestAFailedRestoreIsAFunctionErrorAndItsRetryFinishesIt(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 1)
	c.ScriptAction(emulator.ActionModifyAttribute, emulator.Fault{Kind: emulator.FaultHTTP500}, emulator.Fault{Kind: emulator.FaultHTTP500},
		emulator.Fault{Kind: emulator.FaultHTTP500}, emulator.Fault{Kind: emulator.FaultHTTP500})
	fn := startFunction(t, c, "KEEP_SECURITY_GROUPS=true")
	payload, _ := json.Marshal(map[string]any{"InstanceIds": ids(1, 1), "ProjectId": 1045, "Async": true})
	fn.invokeFunctionError(t, payload, c, 5*time.Second)
	in := instance(t, c, "ins-00000001")
	require.Empty(t, in.SecurityGroupIDs)
	require.True(t, hasRecord(in), "the record stays for the retry")

	a, _ := fn.invoke(t, payload, c)
	require.Equal(t, "Success", a.Code, a.Message)
	in = instance(t, c, "ins-00000001")
	assert.Equal(t, []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, in.SecurityGroupIDs)
	assert.False(t, hasRecord(in))
}

// Others' changes during the move are never reverted: a quarantine group
// put on meanwhile stays, a revoked group stays revoked; both are
// reported as conflicts, and their records removed.
func TestGroupsChangedDuringTheMoveAreLeftAsTheyAre(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 3)
	require.True(t, c.ChangeGroupsDuringMove("ins-00000001", "sg-quarant1"))
	require.True(t, c.ChangeGroupsDuringMove("ins-00000002", "sg-aaaaaaaa")) // sg-bbbbbbbb (SSH) revoked
	fn := startFunction(t, c, "KEEP_SECURITY_GROUPS=true")
	a, _ := fn.invoke(t, directPayload(t, ids(1, 3), 1045), c)
	require.Equal(t, "Success", a.Code, a.Message)
	assert.Equal(t, []string{"sg-quarant1"}, instance(t, c, "ins-00000001").SecurityGroupIDs, "someone's quarantine is kept")
	assert.Equal(t, []string{"sg-aaaaaaaa"}, instance(t, c, "ins-00000002").SecurityGroupIDs, "a revoked group is not put back")
	assert.Equal(t, []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, instance(t, c, "ins-00000003").SecurityGroupIDs, "restored")
	codes := map[string]string{}
	for _, g := range a.SecurityGroups {
		codes[g.InstanceId] = g.Code
	}
	assert.Equal(t, map[string]string{"ins-00000001": "ResourceInUse.SecurityGroupsChanged", "ins-00000002": "ResourceInUse.SecurityGroupsChanged", "ins-00000003": ""}, codes)
	for _, id := range ids(1, 3) {
		assert.False(t, hasRecord(instance(t, c, id)), id)
	}
}

// A record that cannot be written holds its instance back: not moved,
// and the answer says why.
func TestAnInstanceWhoseGroupsCannotBeRecordedIsNotMoved(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 1)
	faults := make([]emulator.Fault, 8)
	for i := range faults {
		faults[i] = emulator.Fault{Kind: emulator.FaultHTTP500}
	}
	c.ScriptAction(emulator.ActionAttachResourcesTag, faults...)
	fn := startFunction(t, c, "KEEP_SECURITY_GROUPS=true")
	a, _ := fn.invokeWith(t, directPayload(t, ids(1, 1), 1045), c, scfrpc.Invocation{Env: fn.env, Timeout: 5 * time.Second})
	assert.Empty(t, c.moves(), "not moved: its groups would be lost")
	require.Len(t, a.Failed, 1, a.Message)
	assert.Contains(t, a.Failed[0].Message, "could not be recorded")
	assert.EqualValues(t, 0, c.project(t, "ins-00000001"))
}

// The function's own record writes come back as tag events through
// EventBridge: recognised, and nothing is listed or moved for them.
func TestTheFunctionsOwnTagEventsAreIgnored(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 1)
	fn := startFunction(t, c, projectRules, "KEEP_SECURITY_GROUPS=true")
	params, _ := json.Marshal(map[string]any{"ServiceType": "cvm", "ResourceIds": []string{"ins-00000001"}, "TagKey": recordKey,
		"TagValue": "sg-aaaaaaaa,sg-bbbbbbbb", "ResourceRegion": "ap-guangzhou", "ResourcePrefix": "instance"})
	event, _ := json.Marshal(map[string]any{"specversion": "1.0", "source": "tag.cloud.tencent", "type": "tag:CloudEvent:ApiCall",
		"subject": "qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-00000001", "region": "ap-guangzhou",
		"data": map[string]any{"eventSource": "tag.tencentcloudapi.com", "eventName": "AttachResourcesTag", "requestParameters": string(params)}})
	a, _ := fn.invoke(t, event, c)
	assert.Equal(t, "NoInstances", a.Code, a.Message)
	assert.Empty(t, c.Calls(), "no listing, no move")
}

// A reconciliation finishes the restores earlier invocations left: it
// lists the instances that carry a record.
func TestAReconciliationFinishesLeftRestores(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 1)
	// An earlier invocation recorded the groups, moved the instance (which
	// lost them) and stopped before restoring.
	require.True(t, c.Modify("ins-00000001", func(in *emulator.Instance) {
		in.ProjectID, in.SecurityGroupIDs = 1045, nil
		in.Tags = append(in.Tags, emulator.Tag{Key: recordKey, Value: "sg-aaaaaaaa,sg-bbbbbbbb"})
	}))
	fn := startFunction(t, c, projectRules, "KEEP_SECURITY_GROUPS=true")
	a, _ := fn.invoke(t, sample(t, "rules-timer-reconcile.json"), c)
	require.Equal(t, "Success", a.Code, a.Message)
	in := instance(t, c, "ins-00000001")
	assert.Equal(t, []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, in.SecurityGroupIDs)
	assert.False(t, hasRecord(in))
	assert.Empty(t, c.moves())
}

// A record an earlier invocation left is finished by any later one that
// reads it, even with KEEP_SECURITY_GROUPS now off: the groups were taken
// by the function's own move.
func TestARecordIsFinishedWithTheSettingOff(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 1)
	require.True(t, c.Modify("ins-00000001", func(in *emulator.Instance) {
		in.ProjectID, in.SecurityGroupIDs = 1045, nil
		in.Tags = append(in.Tags, emulator.Tag{Key: recordKey, Value: "sg-aaaaaaaa,sg-bbbbbbbb"})
	}))
	fn := startFunction(t, c) // no KEEP_SECURITY_GROUPS
	a, _ := fn.invoke(t, directPayload(t, ids(1, 1), 1045), c)
	require.Equal(t, "Success", a.Code, a.Message)
	in := instance(t, c, "ins-00000001")
	assert.Equal(t, []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, in.SecurityGroupIDs)
	assert.False(t, hasRecord(in))
}

// A record written for a move the API then refuses is removed: the
// instance did not move, and its groups are where they were.
func TestARecordOfARefusedMoveIsRemoved(t *testing.T) {
	t.Parallel()
	c := groupsCloud(t, 1)
	require.True(t, c.Modify("ins-00000001", func(in *emulator.Instance) { in.LoadBalanced = true }))
	fn := startFunction(t, c, "KEEP_SECURITY_GROUPS=true")
	a, _ := fn.invoke(t, directPayload(t, ids(1, 1), 1045), c)
	assert.Equal(t, "InvalidInstance.NotSupported", a.Code, a.Message)
	in := instance(t, c, "ins-00000001")
	assert.EqualValues(t, 0, in.ProjectID)
	assert.Equal(t, []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, in.SecurityGroupIDs)
	assert.False(t, hasRecord(in), "no record left on an instance that did not move")
}
