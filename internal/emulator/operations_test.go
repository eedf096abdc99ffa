package emulator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// opListing is a DescribeInstances answer with the
// fields of operations and security groups.
type opListing struct {
	InstanceSet []struct {
		InstanceId               string
		Placement                struct{ ProjectId int64 }
		SecurityGroupIds         []string
		LatestOperation          *string
		LatestOperationState     *string
		LatestOperationRequestId *string
	}
}

// describeOp lists id by TC3 and returns its operation's fields ("" for null).
func (v *env) describeOp(t *testing.T, id string) (project int64, op, state, requestID string, sgs []string) {
	t.Helper()
	a := v.describeTC3(t, `{"InstanceIds":["`+id+`"]}`)
	require.Empty(t, a.Code, a.Message)
	var body struct{ Response opListing }
	require.NoError(t, json.Unmarshal([]byte(a.Body), &body))
	require.Len(t, body.Response.InstanceSet, 1)
	in := body.Response.InstanceSet[0]
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return in.Placement.ProjectId, deref(in.LatestOperation), deref(in.LatestOperationState), deref(in.LatestOperationRequestId), in.SecurityGroupIds
}

// A move stays OPERATING for the duration, the project unchanged, then
// ends SUCCESS with the new project or FAILED with the old one.
func TestMoveOperationOverTime(t *testing.T) {
	tests := []struct {
		name        string
		failMove    bool
		wantState   string
		wantProject int64
	}{
		{"succeeds", false, OperationSuccess, 1045},
		{"fails", true, OperationFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c := newClockedEnv(t)
			v.e.SetOperationDuration(5 * time.Second)
			require.True(t, v.e.SetFailMove("ins-aaaa0002", tt.failMove))
			a := v.postTC3(t, permKey, defaultTC3Body, nil, nil)
			require.Empty(t, a.Code, a.Message)

			project, op, state, rid, _ := v.describeOp(t, "ins-aaaa0002")
			assert.Equal(t, []any{int64(0), Action, OperationOperating, a.RequestID}, []any{project, op, state, rid})
			in, _ := v.e.Instance("ins-aaaa0002")
			assert.Equal(t, OperationOperating, in.LatestOperationState)
			assert.Equal(t, a.RequestID, in.LatestOperationRequestID)

			c.advance(5*time.Second - time.Nanosecond)
			_, _, state, _, _ = v.describeOp(t, "ins-aaaa0002")
			assert.Equal(t, OperationOperating, state, "not yet")

			c.advance(time.Nanosecond)
			project, op, state, rid, _ = v.describeOp(t, "ins-aaaa0002")
			assert.Equal(t, []any{tt.wantProject, Action, tt.wantState, a.RequestID}, []any{project, op, state, rid})
			in, _ = v.e.Instance("ins-aaaa0001")
			assert.Equal(t, OperationSuccess, in.LatestOperationState, "the other instance of the call")
			assert.Equal(t, int64(1045), in.ProjectID)
		})
	}
}

// While an instance's move is OPERATING, a move naming it is refused,
// whole, and takes no effect; once over, it is accepted again.
func TestOperationDeniedWhileInProgress(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		code string
		msg  string
	}{
		{"busy", []string{"ins-aaaa0001"}, CodeOperationInProgress, `The instance ["ins-aaaa0001"] has an operation in progress`},
		{"busy among idle", []string{"ins-aaaa0003", "ins-aaaa0002", "ins-aaaa0001"}, CodeOperationInProgress, `["ins-aaaa0002","ins-aaaa0001"]`},
		{"unknown first", []string{"ins-aaaa0001", "ins-zzzz0001"}, CodeNotFound, `["ins-zzzz0001"]`},
		{"busy before load balancer", []string{"ins-lb000001", "ins-aaaa0001"}, CodeOperationInProgress, `["ins-aaaa0001"]`},
		{"idle", []string{"ins-aaaa0003"}, "", ""},
	}
	for _, tt := range tests {
		for _, path := range []string{PathAPI3, PathLegacy} {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				v, c := newClockedEnv(t)
				v.e.SetOperationDuration(time.Minute)
				first := v.postV1(t, path, permKey, nil) // ins-aaaa0001 and 0002 to 1045
				require.Empty(t, first.Code, first.Message)

				a := v.postV1(t, path, permKey, func(p map[string]string) { setIDs(tt.ids...)(p); p["ProjectId"] = "9" })
				assert.Equal(t, tt.code, a.Code, a.Message)
				assert.Contains(t, a.Message, tt.msg)
				in, _ := v.e.Instance("ins-aaaa0001")
				assert.Equal(t, first.RequestID, in.LatestOperationRequestID, "the first call's operation stands")
				if tt.code != "" {
					in3, _ := v.e.Instance("ins-aaaa0003")
					assert.Empty(t, in3.LatestOperation, "a refused call starts nothing")
				}

				c.advance(time.Minute)
				assert.Equal(t, int64(1045), projects(v.e)["ins-aaaa0001"])
				a = v.postV1(t, path, permKey, func(p map[string]string) { setIDs("ins-aaaa0001")(p); p["ProjectId"] = "9" })
				assert.Empty(t, a.Code, a.Message)
			})
		}
	}
}

// Without SetOperationDuration a move ends as it is accepted, as before.
func TestMoveEndsAtOnceByDefault(t *testing.T) {
	v := newEnv(t)
	a := v.postV1(t, PathAPI3, permKey, nil)
	require.Empty(t, a.Code)
	project, op, state, rid, _ := v.describeOp(t, "ins-aaaa0001")
	assert.Equal(t, []any{int64(1045), Action, OperationSuccess, a.RequestID}, []any{project, op, state, rid})
	assert.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code, "nothing in progress")

	v.e.SetFailMove("ins-aaaa0001", true)
	a = v.postV1(t, PathAPI3, permKey, set("ProjectId", "3"))
	require.Empty(t, a.Code, "the call is accepted; the operation fails")
	project, _, state, _, _ = v.describeOp(t, "ins-aaaa0001")
	assert.Equal(t, []any{int64(1045), OperationFailed}, []any{project, state})
	assert.Equal(t, int64(3), projects(v.e)["ins-aaaa0002"])
	assert.False(t, v.e.SetFailMove("ins-zzzz0001", true))
}

// An instance that never had an operation answers none, and AddInstances
// replacing an instance drops its move under way.
func TestNoOperation(t *testing.T) {
	v, _ := newClockedEnv(t)
	_, op, state, rid, sgs := v.describeOp(t, "ins-aaaa0001")
	assert.Equal(t, []string{"", "", ""}, []string{op, state, rid})
	assert.Empty(t, sgs)
	assert.NotContains(t, v.describeTC3(t, `{}`).Body, "LatestOperation", "left out, as before operations were modelled")

	v.e.SetOperationDuration(time.Hour)
	require.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code)
	v.e.AddInstances(Instance{ID: "ins-aaaa0001", ProjectID: 4})
	assert.Empty(t, v.postV1(t, PathAPI3, permKey, setIDs("ins-aaaa0001")).Code, "the replaced instance has nothing under way")
}
