package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/batch"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/run"
)

// opsCloud is a CVM API whose moves are operations: each stays OPERATING
// for reads DescribeInstances reads of the instance, then ends SUCCESS (its
// groups detached when detach) or, for an instance in fail, FAILED.
type opsCloud struct {
	mu        sync.Mutex
	instances map[string]*cvm.Instance
	reads     int             // reads an operation stays OPERATING
	fail      map[string]bool // moves that end FAILED
	left      map[string]int  // reads left before the instance's operation ends
	target    map[string]int64
	detach    bool
	denyRead  bool   // DescribeInstances answers UnauthorizedOperation
	attrCode  string // ModifyInstancesAttribute answers this code
	calls     []cvm.Action
}

func newOpsCloud(ids ...string) *opsCloud {
	c := &opsCloud{instances: map[string]*cvm.Instance{}, fail: map[string]bool{}, left: map[string]int{}, target: map[string]int64{}}
	for _, id := range ids {
		c.instances[id] = &cvm.Instance{ID: id}
	}
	return c
}

func (c *opsCloud) Call(_ context.Context, _ credentials.Provider, _ string, action cvm.Action, out any) (cvm.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, action)
	res := cvm.Result{RequestID: fmt.Sprintf("req-%d", len(c.calls))}
	switch a := action.(type) {
	case cvm.DescribeInstances:
		if c.denyRead {
			return res, &cvm.APIError{RequestID: res.RequestID, Code: "UnauthorizedOperation", Message: "no permission for cvm:DescribeInstances"}
		}
		var set []map[string]any
		for _, id := range a.InstanceIds {
			in, ok := c.instances[id]
			if !ok {
				continue
			}
			if n, busy := c.left[id]; busy {
				if n == 0 {
					delete(c.left, id)
					if c.fail[id] {
						in.LatestOperationState = cvm.OperationFailed
					} else {
						in.LatestOperationState, in.ProjectID = cvm.OperationSuccess, c.target[id]
						if c.detach {
							in.SecurityGroupIds = nil
						}
					}
				} else {
					c.left[id] = n - 1
				}
			}
			set = append(set, map[string]any{"InstanceId": id, "Placement": map[string]any{"ProjectId": in.ProjectID}, "Tags": in.Tags,
				"SecurityGroupIds": in.SecurityGroupIds, "LatestOperation": in.LatestOperation,
				"LatestOperationState": in.LatestOperationState, "LatestOperationRequestId": in.LatestOperationRequestId})
		}
		b, _ := json.Marshal(map[string]any{"TotalCount": len(set), "InstanceSet": set})
		return res, json.Unmarshal(b, out)
	case cvm.ModifyInstancesProject:
		for _, id := range a.InstanceIds {
			if _, ok := c.instances[id]; !ok {
				return res, &cvm.APIError{RequestID: res.RequestID, Code: "InvalidInstanceId.NotFound", Message: fmt.Sprintf("The instance ID [%q] does not exist.", id)}
			}
		}
		for _, id := range a.InstanceIds {
			in := c.instances[id]
			in.LatestOperation, in.LatestOperationState, in.LatestOperationRequestId = "ModifyInstancesProject", cvm.OperationOperating, res.RequestID
			c.left[id], c.target[id] = c.reads, a.ProjectId
		}
	case cvm.AttachResourcesTag:
		for _, id := range a.ResourceIds {
			in := c.instances[id]
			in.Tags = append(slices.DeleteFunc(in.Tags, func(t cvm.Tag) bool { return t.Key == a.TagKey }), cvm.Tag{Key: a.TagKey, Value: a.TagValue})
		}
	case cvm.DetachResourcesTag:
		for _, id := range a.ResourceIds {
			in := c.instances[id]
			in.Tags = slices.DeleteFunc(in.Tags, func(t cvm.Tag) bool { return t.Key == a.TagKey })
		}
	case cvm.ModifyInstancesAttribute:
		if c.attrCode != "" {
			return res, &cvm.APIError{RequestID: res.RequestID, Code: c.attrCode, Message: "refused"}
		}
		for _, id := range a.InstanceIds {
			c.instances[id].SecurityGroupIds = slices.Clone(a.SecurityGroups)
		}
	}
	return res, nil
}

func (c *opsCloud) actions(name string) []cvm.Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []cvm.Action
	for _, a := range c.calls {
		if a.ActionName() == name {
			out = append(out, a)
		}
	}
	return out
}

// noSleep is a sleep that returns at once.
func noSleep(context.Context, time.Duration) error { return nil }

func TestVerifiedMoves(t *testing.T) {
	ids := []string{"ins-00000001", "ins-00000002", "ins-00000003"}
	tests := []struct {
		name    string
		setup   func(c *opsCloud)
		verify  config.Verify
		timeout time.Duration
		check   func(t *testing.T, c *opsCloud, a answer.Answer)
	}{
		{"confirmed after two reads OPERATING", func(c *opsCloud) { c.reads = 2 }, config.Verify{Enabled: true}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
				assert.True(t, a.Verified)
				assert.Len(t, c.actions("DescribeInstances"), 1+3, "the read before, three polls")
			}},
		{"already in the project: not sent", func(c *opsCloud) { c.instances["ins-00000002"].ProjectID = 7 }, config.Verify{Enabled: true}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
				assert.EqualValues(t, []string{"ins-00000002"}, a.AlreadyInProject)
				moves := c.actions("ModifyInstancesProject")
				require.Len(t, moves, 1)
				assert.Equal(t, []string{"ins-00000001", "ins-00000003"}, moves[0].(cvm.ModifyInstancesProject).InstanceIds)
			}},
		{"one ends FAILED", func(c *opsCloud) { c.fail["ins-00000003"] = true }, config.Verify{Enabled: true}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodePartialSuccess, a.Code, a.Message)
				require.Len(t, a.Failed, 1)
				assert.Equal(t, answer.Failure{InstanceId: "ins-00000003", Code: answer.CodeOperationFailed,
					Message: "the move was accepted (RequestId req-2) but its operation ended FAILED; the instance is in project 0"}, a.Failed[0])
			}},
		{"still OPERATING at the deadline", func(c *opsCloud) { c.reads = 1 << 30 }, config.Verify{Enabled: true}, 1500 * time.Millisecond,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeOperationPending, a.Code, a.Message)
				assert.EqualValues(t, ids, a.Pending)
				assert.False(t, a.Verified)
			}},
		{"groups detached: reported", func(c *opsCloud) {
			c.detach = true
			c.instances["ins-00000001"].SecurityGroupIds = []string{"sg-aaaaaaaa"}
		}, config.Verify{Enabled: true}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
				assert.EqualValues(t, []answer.SecurityGroupChange{{InstanceId: "ins-00000001", Before: []string{"sg-aaaaaaaa"}, After: []string{}}}, a.SecurityGroups)
				assert.Empty(t, c.actions("ModifyInstancesAttribute"))
			}},
		{"groups detached: restored, one call per list", func(c *opsCloud) {
			c.detach = true
			c.instances["ins-00000001"].SecurityGroupIds = []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}
			c.instances["ins-00000002"].SecurityGroupIds = []string{"sg-bbbbbbbb", "sg-aaaaaaaa"}
			c.instances["ins-00000003"].SecurityGroupIds = []string{"sg-cccccccc"}
		}, config.Verify{Enabled: true, KeepSecurityGroups: true}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
				require.Len(t, a.SecurityGroups, 3)
				for _, g := range a.SecurityGroups {
					assert.True(t, g.Restored, g.InstanceId)
				}
				attrs := c.actions("ModifyInstancesAttribute")
				require.Len(t, attrs, 2)
				assert.Equal(t, cvm.ModifyInstancesAttribute{InstanceIds: ids[:2], SecurityGroups: []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}}, attrs[0])
				assert.Equal(t, cvm.ModifyInstancesAttribute{InstanceIds: ids[2:], SecurityGroups: []string{"sg-cccccccc"}}, attrs[1])
				assert.Equal(t, []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, c.instances["ins-00000002"].SecurityGroupIds, "associated again")
				assert.Len(t, c.actions("AttachResourcesTag"), 2, "recorded before the move: one call per list")
				assert.Len(t, c.actions("DetachResourcesTag"), 1, "the records removed once restored")
				for _, id := range ids {
					assert.Empty(t, c.instances[id].Tags, "no record left behind")
				}
			}},
		{"a failed restore is reported per instance", func(c *opsCloud) {
			c.detach, c.attrCode = true, "InvalidSgId.Malformed"
			c.instances["ins-00000001"].SecurityGroupIds = []string{"sg-aaaaaaaa"}
		}, config.Verify{Enabled: true, KeepSecurityGroups: true}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeSuccess, a.Code, "the move stands: %s", a.Message)
				require.Len(t, a.SecurityGroups, 1)
				assert.False(t, a.SecurityGroups[0].Restored)
				assert.Equal(t, "InvalidSgId.Malformed", a.SecurityGroups[0].Code)
				assert.Equal(t, []cvm.Tag{{Key: run.RecordKey, Value: "sg-aaaaaaaa"}}, c.instances["ins-00000001"].Tags, "the record stays for a later invocation")
				unfinished, _ := a.Unfinished()
				assert.True(t, unfinished, "a failed restore is unfinished work")
			}},
		{"no permission to read: moved, not verified", func(c *opsCloud) { c.denyRead = true }, config.Verify{Enabled: true}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
				assert.False(t, a.Verified)
				assert.Contains(t, a.NotVerified, "grant cvm:DescribeInstances")
				assert.Len(t, c.actions("ModifyInstancesProject"), 1)
				assert.Len(t, c.actions("DescribeInstances"), 1, "no poll after a refused read")
			}},
		{"VERIFY=false: the move alone", nil, config.Verify{}, 0,
			func(t *testing.T, c *opsCloud, a answer.Answer) {
				assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
				assert.False(t, a.Verified)
				assert.Empty(t, c.actions("DescribeInstances"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newOpsCloud(ids...)
			if tt.setup != nil {
				tt.setup(c)
			}
			h := &Handler{Runner: run.Runner{Logger: discard, CVM: c, Tags: c, Verify: tt.verify, Wait: batch.WaitOptions{Sleep: noSleep, Reserve: time.Millisecond}}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou"}
			ctx := context.Background()
			if tt.timeout > 0 {
				// Polls that take no time: the deadline comes from a real sleep.
				h.Wait.Sleep = func(ctx context.Context, d time.Duration) error {
					select {
					case <-time.After(d / 10):
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				h.Wait.Reserve = 500 * time.Millisecond
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			out, err := h.Invoke(ctx, []byte(`{"InstanceIds":["ins-00000001","ins-00000002","ins-00000003"],"ProjectId":7}`))
			require.NoError(t, err)
			tt.check(t, c, decodeAnswer(t, out))
		})
	}
}

// A rule run's listing is the read before: its moves are not read again
// before they are sent.
func TestARuleRunReusesItsListing(t *testing.T) {
	c := newOpsCloud("ins-00000001")
	c.instances["ins-00000001"].Tags = []cvm.Tag{{Key: "env", Value: "prod"}}
	h := &Handler{Runner: run.Runner{Logger: discard, CVM: c, Verify: config.Verify{Enabled: true}, Wait: batch.WaitOptions{Sleep: noSleep}}, Rules: []rules.Rule{envProd}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou"}
	out, err := h.Invoke(context.Background(), []byte(`{"specversion":"1.0","region":"ap-guangzhou","subject":"qcs::cvm:ap-beijing:uin/1:instance/ins-00000001"}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	assert.Equal(t, answer.CodeSuccess, a.Code, a.Message)
	assert.True(t, a.Verified)
	var order []string
	for _, act := range c.calls {
		order = append(order, act.ActionName())
	}
	assert.Equal(t, []string{"DescribeInstances", "ModifyInstancesProject", "DescribeInstances"}, order, "the listing, the move, the confirmation")
}

// An instance whose move a rule run sent and whose operation ended FAILED
// did not move: its rule lists it under Failed (not Moved), with the
// operation's code, and the top-level Failed lists it once.
func TestARuleReportsAnOperationThatFailed(t *testing.T) {
	c := newOpsCloud("ins-00000001", "ins-00000002")
	for _, id := range []string{"ins-00000001", "ins-00000002"} {
		c.instances[id].Tags = []cvm.Tag{{Key: "env", Value: "prod"}}
	}
	c.fail["ins-00000002"] = true
	h := &Handler{Runner: run.Runner{Logger: discard, CVM: c, Verify: config.Verify{Enabled: true}, Wait: batch.WaitOptions{Sleep: noSleep}}, Rules: []rules.Rule{envProd}, Credentials: staticCreds{}, DefaultRegion: "ap-guangzhou"}
	out, err := h.Invoke(context.Background(), []byte(`{"InstanceIds":["ins-00000001","ins-00000002"]}`))
	require.NoError(t, err)
	a := decodeAnswer(t, out)
	assert.Equal(t, answer.CodePartialSuccess, a.Code, a.Message)
	require.Len(t, a.Rules, 1)
	assert.EqualValues(t, []string{"ins-00000001"}, a.Rules[0].Moved)
	require.Len(t, a.Rules[0].Failed, 1)
	assert.Equal(t, "ins-00000002", a.Rules[0].Failed[0].InstanceId)
	assert.Equal(t, answer.CodeOperationFailed, a.Rules[0].Failed[0].Code)
	require.Len(t, a.Failed, 1, "once at the top")
	assert.Equal(t, "ins-00000002", a.Failed[0].InstanceId)
}
