package run

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/handler/answer"
)

// RecordKey is the tag that keeps an instance's security groups on the
// instance while it moves (KEEP_SECURITY_GROUPS), so any later invocation
// can finish a restore. Its value: the group ids, sorted, comma-joined (the
// Tag API allows "," in a value of up to 255 characters).
const RecordKey = "cvm-project-mover:security-groups"

// recordOf returns the groups an instance's record keeps.
func recordOf(in cvm.Instance) ([]string, bool) {
	for _, t := range in.Tags {
		if t.Key == RecordKey {
			return strings.Split(t.Value, ","), t.Value != ""
		}
	}
	return nil, false
}

// byValue groups ids by a value, in first-seen order, at most n a group.
func byValue(ids []string, value func(id string) string, n int) (values []string, groups [][]string) {
	index := map[string]int{}
	for _, id := range ids {
		v := value(id)
		i, ok := index[v]
		if !ok || len(groups[i]) == n {
			i = len(groups)
			index[v] = i
			values, groups = append(values, v), append(groups, nil)
		}
		groups[i] = append(groups[i], id)
	}
	return values, groups
}

// record tags each instance of send that has security groups and no record
// with them (AttachResourcesTag, 50 a call, grouped by value) before its
// move. It returns those that may be sent; one whose record failed is noted
// NotSent with why.
func (x *exec) record(ctx context.Context, region string, before map[string]cvm.Instance, send []string) []string {
	var need []string
	for _, id := range send {
		if _, has := recordOf(before[id]); !has && len(before[id].SecurityGroupIds) > 0 {
			need = append(need, id)
		}
	}
	value := func(id string) string {
		return strings.Join(slices.Sorted(slices.Values(before[id].SecurityGroupIds)), ",")
	}
	values, groups := byValue(need, value, cvm.MaxTagResources)
	var held []answer.Failure
	for i, ids := range groups {
		_, err := x.Tags.Call(ctx, x.inv.Keys, region, cvm.AttachResourcesTag{ServiceType: "cvm", ResourcePrefix: "instance",
			ResourceRegion: region, ResourceIds: ids, TagKey: RecordKey, TagValue: values[i]}, nil)
		if err == nil {
			for _, id := range ids {
				in := before[id]
				in.Tags = append(slices.Clone(in.Tags), cvm.Tag{Key: RecordKey, Value: values[i]})
				before[id] = in
			}
			continue
		}
		code, msg := answer.FromCall(cvm.Result{Attempts: 1}, err, x.inv.ID)
		for _, id := range ids {
			held = append(held, answer.Failure{InstanceId: id, Code: code,
				Message: "not sent: its security groups could not be recorded on it (tag " + RecordKey + "): " + msg})
		}
	}
	if len(held) == 0 {
		return send
	}
	x.mu.Lock()
	x.v.NotSent = append(x.v.NotSent, held...)
	x.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(send), func(id string) bool {
		return slices.ContainsFunc(held, func(f answer.Failure) bool { return f.InstanceId == id })
	})
}

// restoreRecorded finishes the restore of each instance of ids that carries
// a record, by compare-and-set on now (its last read): no groups get the
// recorded ones back (ModifyInstancesAttribute), the recorded ones need
// nothing, others are left as a conflict; then the record is removed
// (DetachResourcesTag). A failure keeps the record for a later invocation.
func (x *exec) restoreRecorded(ctx context.Context, region string, now map[string]cvm.Instance, ids []string) {
	if x.Tags == nil { // a record is finished even when KEEP_SECURITY_GROUPS is now off
		return
	}
	var toRestore, done []string
	var report []answer.SecurityGroupChange
	for _, id := range ids {
		in := now[id]
		rec, has := recordOf(in)
		switch {
		case !has:
		case len(in.SecurityGroupIds) == 0:
			toRestore = append(toRestore, id)
		case sameSet(in.SecurityGroupIds, rec):
			done = append(done, id)
		default:
			done = append(done, id)
			report = append(report, answer.SecurityGroupChange{InstanceId: id, Before: rec, After: nonNil(in.SecurityGroupIds), Code: answer.CodeGroupsChanged,
				Message: "someone else changed the groups during the move; they are left as they are"})
		}
	}
	if len(toRestore)+len(done) == 0 {
		return // none carries a record: the usual case
	}
	value := func(id string) string { v, _ := recordOf(now[id]); return strings.Join(v, ",") }
	values, groups := byValue(toRestore, value, cvm.MaxInstancesPerCall)
	for i, group := range groups {
		rec := strings.Split(values[i], ",")
		res, err := x.CVM.Call(ctx, x.inv.Keys, region, cvm.ModifyInstancesAttribute{InstanceIds: group, SecurityGroups: rec}, nil)
		code, msg := answer.FromCall(res, err, x.inv.ID)
		for _, id := range group {
			c := answer.SecurityGroupChange{InstanceId: id, Before: rec, After: []string{}, Restored: err == nil}
			if err != nil {
				c.Code, c.Message = code, "not restored yet (the record stays on the instance for a later invocation): "+msg
			} else {
				done = append(done, id)
			}
			report = append(report, c)
		}
	}
	for group := range slices.Chunk(done, cvm.MaxTagResources) {
		_, err := x.Tags.Call(ctx, x.inv.Keys, region, cvm.DetachResourcesTag{ServiceType: "cvm", ResourcePrefix: "instance",
			ResourceRegion: region, ResourceIds: group, TagKey: RecordKey}, nil)
		if err == nil {
			continue
		}
		code, msg := answer.FromCall(cvm.Result{Attempts: 1}, err, x.inv.ID)
		for _, id := range group {
			i := slices.IndexFunc(report, func(c answer.SecurityGroupChange) bool { return c.InstanceId == id })
			if i < 0 {
				rec, _ := recordOf(now[id])
				report = append(report, answer.SecurityGroupChange{InstanceId: id, Before: rec, After: nonNil(now[id].SecurityGroupIds), Restored: true})
				i = len(report) - 1
			}
			report[i].Code, report[i].Message = code, fmt.Sprintf("the record (tag %s) could not be removed, and stays for a later invocation: %s", RecordKey, msg)
		}
	}
	x.mu.Lock()
	x.v.SecurityGroups = append(x.v.SecurityGroups, report...)
	x.mu.Unlock()
}

// sweepRecords finishes, in a reconciliation, the restores that earlier
// invocations left: it lists the instances of region that carry a record
// (the tag-key filter) and restores those whose move is over. A dry run
// only reports what it would restore.
func (x *exec) sweepRecords(ctx context.Context, region string, dryRun bool) {
	if x.Tags == nil || !x.Verify.KeepSecurityGroups {
		return
	}
	listed, _, err := listing.Instances(ctx, x.CVM, x.inv.Keys, region, listing.Query{Filters: []cvm.Filter{cvm.TagFilter(RecordKey, nil)}})
	if err != nil {
		x.mu.Lock()
		x.unverified("listing the instances that carry a security-group record", err)
		x.mu.Unlock()
		return
	}
	now := map[string]cvm.Instance{}
	var ids []string
	for _, in := range listed {
		if !in.Moving() {
			now[in.ID], ids = in, append(ids, in.ID)
		}
	}
	if !dryRun {
		x.restoreRecorded(ctx, region, now, ids)
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		rec, _ := recordOf(now[id])
		x.v.SecurityGroups = append(x.v.SecurityGroups, answer.SecurityGroupChange{InstanceId: id, Before: rec, After: nonNil(now[id].SecurityGroupIds)})
	}
}
