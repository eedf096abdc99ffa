package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

// attrV1 turns the default v1 move into a ModifyInstancesAttribute setting
// sgs, numbered from 0 (SecurityGroups.0, .1, …).
func attrV1(sgs ...string) func(map[string]string) {
	return attrV1From(0, sgs...)
}

func attrV1From(first int, sgs ...string) func(map[string]string) {
	return func(p map[string]string) {
		p["Action"] = ActionModifyAttribute
		delete(p, "ProjectId")
		for i, sg := range sgs {
			p["SecurityGroups."+itoa(first+i)] = sg
		}
	}
}

func attrTC3(m *tc3Msg) { m.header.Set("X-TC-Action", ActionModifyAttribute) }

// ModifyInstancesAttribute replaces the security groups of the instances
// on every endpoint and with every signature method, and is recorded.
func TestModifyAttributeSucceeds(t *testing.T) {
	sgs := []string{"sg-aaaa0001", "sg-bbbb0002"}
	tests := []struct {
		name   string
		method string
		send   func(t *testing.T, v *env) answer
	}{
		{"api3 HmacSHA256 POST", "HmacSHA256", func(t *testing.T, v *env) answer { return v.postV1(t, PathAPI3, permKey, attrV1(sgs...)) }},
		{"api3 HmacSHA1 GET", "HmacSHA1", func(t *testing.T, v *env) answer {
			return v.sendV1(t, http.MethodGet, PathAPI3, v.v1Params(t, http.MethodGet, PathAPI3, permKey, signer.HmacSHA1, 0, attrV1(sgs...)))
		}},
		{"legacy HmacSHA256 from 1", "HmacSHA256", func(t *testing.T, v *env) answer {
			return v.sendV1(t, http.MethodPost, PathLegacy, v.v1Params(t, http.MethodPost, PathLegacy, permKey, signer.HmacSHA256, 1, attrV1From(1, sgs...)))
		}},
		{"legacy temporary key", "HmacSHA256", func(t *testing.T, v *env) answer { return v.postV1(t, PathLegacy, tempKey, attrV1(sgs...)) }},
		{"api3 TC3", "TC3-HMAC-SHA256", func(t *testing.T, v *env) answer {
			return v.postTC3(t, permKey, `{"InstanceIds":["ins-aaaa0001","ins-aaaa0002"],"SecurityGroups":["sg-aaaa0001","sg-bbbb0002"]}`, attrTC3, nil)
		}},
		{"api3 TC3 temporary key, a repeat dropped", "TC3-HMAC-SHA256", func(t *testing.T, v *env) answer {
			return v.postTC3(t, tempKey, `{"InstanceIds":["ins-aaaa0001","ins-aaaa0002"],"SecurityGroups":["sg-aaaa0001","sg-bbbb0002","sg-aaaa0001"]}`, attrTC3, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.e.SetSecurityGroups("ins-aaaa0001", "sg-old00001")
			v.e.SetSecurityGroups("ins-aaaa0003", "sg-old00003")
			a := tt.send(t, v)
			require.Empty(t, a.Code, a.Message)
			assert.False(t, a.Old)
			for _, id := range []string{"ins-aaaa0001", "ins-aaaa0002"} {
				in, _ := v.e.Instance(id)
				assert.Equal(t, sgs, in.SecurityGroupIDs, id)
				assert.Equal(t, []string{ActionModifyAttribute, OperationSuccess, a.RequestID},
					[]string{in.LatestOperation, in.LatestOperationState, in.LatestOperationRequestID})
				_, _, _, _, listed := v.describeOp(t, id)
				assert.Equal(t, sgs, listed)
			}
			in3, _ := v.e.Instance("ins-aaaa0003")
			assert.Equal(t, []string{"sg-old00003"}, in3.SecurityGroupIDs, "not named")
			assert.Equal(t, map[string]int64{"ins-aaaa0001": 0, "ins-aaaa0002": 0, "ins-aaaa0003": 7, "ins-lb000001": 0}, projects(v.e))

			c := v.e.Calls()[0]
			assert.Equal(t, ActionModifyAttribute, c.Action)
			assert.Equal(t, tt.method, c.SignatureMethod)
			assert.Equal(t, []string{"ins-aaaa0001", "ins-aaaa0002"}, c.InstanceIDs)
			assert.Contains(t, [][]string{sgs, append(sgs, "sg-aaaa0001")}, c.SecurityGroups, "as sent")
			assert.Empty(t, c.Code)
		})
	}
}

// Every refused ModifyInstancesAttribute leaves the table as it was.
func TestModifyAttributeRefused(t *testing.T) {
	sixSGs := []string{"sg-aaaa0001", "sg-aaaa0002", "sg-aaaa0003", "sg-aaaa0004", "sg-aaaa0005", "sg-aaaa0006"}
	tests := []struct {
		name string
		send func(t *testing.T, v *env) answer
		want string
		msg  string
	}{
		{"no SecurityGroups", func(t *testing.T, v *env) answer { return v.postV1(t, PathAPI3, permKey, attrV1()) }, CodeMissingParameter, "`SecurityGroups`"},
		{"six security groups", func(t *testing.T, v *env) answer { return v.postV1(t, PathAPI3, permKey, attrV1(sixSGs...)) }, CodeSecurityGroupsExceeded, "6"},
		{"five, one repeated", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, func(p map[string]string) {
				attrV1(append(sixSGs[:5:5], "sg-aaaa0001")...)(p)
				setIDs("ins-zzzz0001")(p)
			})
		}, CodeNotFound, "ins-zzzz0001"},
		{"malformed security group", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, attrV1("sg-aaaa0001", "sg-AAAA0002"))
		}, CodeSgIDMalformed, `"sg-AAAA0002"`},
		{"SecurityGroups without index", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, func(p map[string]string) { attrV1()(p); p["SecurityGroups"] = "sg-aaaa0001" })
		}, CodeInvalidParameter, "SecurityGroups.N"},
		{"unknown instance", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathLegacy, permKey, func(p map[string]string) { attrV1("sg-aaaa0001")(p); setIDs("ins-aaaa0001", "ins-zzzz0001")(p) })
		}, CodeNotFound, `The instance ID ["ins-zzzz0001"] does not exist.`},
		{"no InstanceIds", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, func(p map[string]string) { attrV1("sg-aaaa0001")(p); setIDs()(p) })
		}, CodeMissingParameter, "`InstanceIds`"},
		{"101 InstanceIds", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, func(p map[string]string) { attrV1("sg-aaaa0001")(p); setIDs(manyIDs(101)...)(p) })
		}, CodeLimitExceeded, "101"},
		{"malformed instance", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, func(p map[string]string) { attrV1("sg-aaaa0001")(p); setIDs("ins-aaaa001")(p) })
		}, CodeMalformed, `"ins-aaaa001"`},
		{"InstanceName", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathAPI3, permKey, func(p map[string]string) { attrV1("sg-aaaa0001")(p); p["InstanceName"] = "web" })
		}, CodeUnsupportedOperation, "InstanceName"},
		{"legacy without Version", func(t *testing.T, v *env) answer {
			return v.postV1(t, PathLegacy, permKey, func(p map[string]string) { attrV1("sg-aaaa0001")(p); delete(p, "Version") })
		}, CodeMissingParameter, "Version"},
		{"TC3 SecurityGroups a string", func(t *testing.T, v *env) answer {
			return v.postTC3(t, permKey, `{"InstanceIds":["ins-aaaa0001"],"SecurityGroups":"sg-aaaa0001"}`, attrTC3, nil)
		}, CodeInvalidParameterValue, "a string"},
		{"TC3 empty SecurityGroups", func(t *testing.T, v *env) answer {
			return v.postTC3(t, permKey, `{"InstanceIds":["ins-aaaa0001"],"SecurityGroups":[]}`, attrTC3, nil)
		}, CodeMissingParameter, "`SecurityGroups`"},
		{"TC3 other region", func(t *testing.T, v *env) answer {
			v.e.AddInstances(Instance{ID: "ins-aaaa0001", Region: "ap-shanghai"})
			return v.postTC3(t, permKey, `{"InstanceIds":["ins-aaaa0001"],"SecurityGroups":["sg-aaaa0001"]}`, attrTC3, nil)
		}, CodeNotFound, `["ins-aaaa0001"]`},
		{"TC3 wrong key", func(t *testing.T, v *env) answer {
			return v.postTC3(t, permKey, `{"InstanceIds":["ins-aaaa0001"],"SecurityGroups":["sg-aaaa0001"]}`, func(m *tc3Msg) {
				attrTC3(m)
				m.key.SecretKey = "not-the-secret-key"
			}, nil)
		}, CodeSignatureFailure, "TC3-HMAC-SHA256"},
		{"v1 wrong key", func(t *testing.T, v *env) answer {
			p := v.v1Params(t, http.MethodPost, PathAPI3, Key{SecretID: permKey.SecretID, SecretKey: "wrong"}, signer.HmacSHA1, 0, attrV1("sg-aaaa0001"))
			return v.sendV1(t, http.MethodPost, PathAPI3, p)
		}, CodeSignatureFailure, "HmacSHA1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.e.SetSecurityGroups("ins-aaaa0001", "sg-old00001")
			a := tt.send(t, v)
			assert.Equal(t, tt.want, a.Code, a.Message)
			assert.Contains(t, a.Message, tt.msg)
			in, _ := v.e.Instance("ins-aaaa0001")
			if !strings.Contains(tt.name, "other region") {
				assert.Equal(t, []string{"sg-old00001"}, in.SecurityGroupIDs)
			}
			assert.Empty(t, in.LatestOperation)
			calls := v.e.Calls()
			assert.Equal(t, tt.want, calls[len(calls)-1].Code)
		})
	}
}

// A move under way refuses ModifyInstancesAttribute for its instances.
func TestModifyAttributeDeniedWhileMoving(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		want string
	}{
		{"moving", []string{"ins-aaaa0002"}, CodeOperationInProgress},
		{"moving among idle", []string{"ins-aaaa0003", "ins-aaaa0001"}, CodeOperationInProgress},
		{"idle", []string{"ins-aaaa0003"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := newClockedEnv(t)
			v.e.SetOperationDuration(10 * time.Second)
			require.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code)
			body := `{"InstanceIds":["` + strings.Join(tt.ids, `","`) + `"],"SecurityGroups":["sg-aaaa0001"]}`
			a := v.postTC3(t, permKey, body, attrTC3, nil)
			assert.Equal(t, tt.want, a.Code, a.Message)
			if tt.want != "" {
				in3, _ := v.e.Instance("ins-aaaa0003")
				assert.Empty(t, in3.SecurityGroupIDs, "all or nothing")
				c.advance(10 * time.Second)
				assert.Empty(t, v.postTC3(t, permKey, body, attrTC3, nil).Code, "accepted once the move is over")
			}
		})
	}
}

// Under SetDetachSecurityGroupsOnMove a move that succeeds unbinds the
// security groups when it ends; a failed move or the option off keeps them.
func TestDetachSecurityGroupsOnMove(t *testing.T) {
	tests := []struct {
		name     string
		detach   bool
		failMove bool
		want     []string
	}{
		{"detach, succeeds", true, false, nil},
		{"detach, fails", true, true, []string{"sg-aaaa0001", "sg-bbbb0002"}},
		{"keep, succeeds", false, false, []string{"sg-aaaa0001", "sg-bbbb0002"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := newClockedEnv(t)
			v.e.SetDetachSecurityGroupsOnMove(tt.detach)
			v.e.SetOperationDuration(3 * time.Second)
			v.e.AddInstances(Instance{ID: "ins-aaaa0001", SecurityGroupIDs: []string{"sg-aaaa0001", "sg-bbbb0002"}, FailMove: tt.failMove})
			require.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code)

			_, _, state, _, sgs := v.describeOp(t, "ins-aaaa0001")
			assert.Equal(t, OperationOperating, state)
			assert.Equal(t, []string{"sg-aaaa0001", "sg-bbbb0002"}, sgs, "bound while the move is under way")

			c.advance(3 * time.Second)
			_, _, _, _, sgs = v.describeOp(t, "ins-aaaa0001")
			assert.Equal(t, tt.want, sgs)
			in, _ := v.e.Instance("ins-aaaa0001")
			assert.Equal(t, tt.want, in.SecurityGroupIDs)

			// Rebinding them is what a client does after the move.
			a := v.postV1(t, PathAPI3, permKey, func(p map[string]string) { attrV1("sg-aaaa0001")(p); setIDs("ins-aaaa0001")(p) })
			require.Empty(t, a.Code, a.Message)
			in, _ = v.e.Instance("ins-aaaa0001")
			assert.Equal(t, []string{"sg-aaaa0001"}, in.SecurityGroupIDs)
		})
	}
}

// The table keeps its own copy of security groups.
func TestSecurityGroupsAreCopied(t *testing.T) {
	e := New()
	sgs := []string{"sg-aaaa0001"}
	e.AddInstances(Instance{ID: "ins-aaaa0001", SecurityGroupIDs: sgs})
	sgs[0] = "changed"
	got := e.Instances()
	assert.Equal(t, []string{"sg-aaaa0001"}, got[0].SecurityGroupIDs)
	got[0].SecurityGroupIDs[0] = "changed"
	in, _ := e.Instance("ins-aaaa0001")
	assert.Equal(t, []string{"sg-aaaa0001"}, in.SecurityGroupIDs)
	assert.False(t, e.SetSecurityGroups("ins-zzzz0001", "sg-aaaa0001"))
}
