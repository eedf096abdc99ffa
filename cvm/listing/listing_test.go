package listing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/signer"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fleet answers DescribeInstances from a list of instances, as the API
// does: Filters by tag, InstanceIds, Offset and Limit.
// Safe for concurrent calls (by-id chunks are listed several at a time).
type fleet struct {
	instances []cvm.Instance
	mu        sync.Mutex
	calls     []cvm.DescribeInstances
	// fail, when set, answers the call with this index (0-based) so.
	fail map[int]func() (cvm.Result, error)
	// failFirstID, when set, answers the by-id call whose first id is this
	// key so, whenever it comes.
	failFirstID map[string]func() (cvm.Result, error)
	// before, when set, is called (without the lock) before a call is answered.
	before   func(a cvm.DescribeInstances)
	override func(a cvm.DescribeInstances, out *describeAnswer) // changes an answer
}

func (f *fleet) Call(_ context.Context, _ credentials.Provider, _ string, action cvm.Action, out any) (cvm.Result, error) {
	a := action.(cvm.DescribeInstances)
	if f.before != nil {
		f.before(a)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.calls)
	f.calls = append(f.calls, a)
	res := cvm.Result{RequestID: fmt.Sprintf("req-%d", n+1)}
	if len(a.InstanceIds) > 0 {
		res.RequestID = "req-" + a.InstanceIds[0]
		if fn, ok := f.failFirstID[a.InstanceIds[0]]; ok {
			return fn()
		}
	}
	if fn, ok := f.fail[n]; ok {
		return fn()
	}
	var matched []cvm.Instance
	for _, in := range f.instances {
		if a.InstanceIds != nil && !slices.Contains(a.InstanceIds, in.ID) {
			continue
		}
		if a.Filters != nil && !matchesAll(in, a.Filters) {
			continue
		}
		matched = append(matched, in)
	}
	var ans describeAnswer
	ans.TotalCount = len(matched)
	for _, in := range matched[min(a.Offset, len(matched)):min(a.Offset+a.Limit, len(matched))] {
		item := describedInstance{Instance: cvm.Instance{ID: in.ID, Tags: in.Tags}}
		item.Placement.ProjectId = in.ProjectID
		ans.InstanceSet = append(ans.InstanceSet, item)
	}
	if f.override != nil {
		f.override(a, &ans)
	}
	b, _ := json.Marshal(ans)
	return res, json.Unmarshal(b, out)
}

func matchesAll(in cvm.Instance, filters []cvm.Filter) bool {
	for _, f := range filters {
		ok := false
		for _, tag := range in.Tags {
			if (f.Name == "tag-key" && slices.Contains(f.Values, tag.Key)) ||
				(f.Name == "tag:"+tag.Key && slices.Contains(f.Values, tag.Value)) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func tagged(n int, prefix string, project int64, tags ...cvm.Tag) []cvm.Instance {
	out := make([]cvm.Instance, n)
	for i := range out {
		out[i] = cvm.Instance{ID: fmt.Sprintf("ins-%s%0*d", prefix, 8-len(prefix), i+1), ProjectID: project, Tags: tags}
	}
	return out
}

// A listing by filter asks for pages of 100 from offset 0 until TotalCount;
// one by ids asks for 100 ids a call.
func TestListInstancesPages(t *testing.T) {
	prod := tagged(250, "p", 1045, cvm.Tag{Key: "env", Value: "prod"})
	other := tagged(30, "d", 0, cvm.Tag{Key: "env", Value: "dev"}, cvm.Tag{Key: "team", Value: "data"})
	all := append(append([]cvm.Instance{}, prod...), other...)

	tests := []struct {
		name        string
		instances   []cvm.Instance
		query       Query
		wantIDs     []string
		wantOffsets []int
		wantCallIDs []int // number of ids per call
	}{
		{"250 matches: three pages", all, Query{Filters: []cvm.Filter{cvm.TagFilter("env", strptr("prod"))}}, idsOf(prod), []int{0, 100, 200}, []int{0, 0, 0}},
		{"exactly 100: one page", all[150:280], Query{Filters: []cvm.Filter{cvm.TagFilter("env", strptr("prod"))}}, idsOf(prod[150:]), []int{0}, []int{0}},
		{"none: one call", all, Query{Filters: []cvm.Filter{cvm.TagFilter("env", strptr("qa"))}}, nil, []int{0}, []int{0}},
		{"by tag key", all, Query{Filters: []cvm.Filter{cvm.TagFilter("team", nil)}}, idsOf(other), []int{0}, []int{0}},
		{"by 250 ids: 100 a call", all, Query{InstanceIDs: idsOf(all[10:260])}, idsOf(all[10:260]), []int{0, 0, 0}, []int{100, 100, 50}},
		{"by ids, some unknown", all, Query{InstanceIDs: []string{"ins-p0000001", "ins-nothere", "ins-d0000002"}}, []string{"ins-p0000001", "ins-d0000002"}, []int{0}, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fleet{instances: tt.instances}
			got, reqIDs, err := Instances(context.Background(), f, exampleCreds, "ap-guangzhou", tt.query)
			require.NoError(t, err)
			assert.Equal(t, tt.wantIDs, idsOf(got))
			var offsets, sizes []int
			for _, c := range f.calls {
				offsets = append(offsets, c.Offset)
				sizes = append(sizes, len(c.InstanceIds))
				assert.Equal(t, cvm.PageSize, c.Limit)
			}
			if tt.query.InstanceIDs != nil { // chunks are asked several at a time: in any order
				assert.ElementsMatch(t, tt.wantOffsets, offsets)
				assert.ElementsMatch(t, tt.wantCallIDs, sizes)
				var chunks, asked []string
				for ids := range slices.Chunk(tt.query.InstanceIDs, cvm.MaxInstancesPerCall) {
					chunks = append(chunks, strings.Join(ids, ","))
				}
				for _, c := range f.calls {
					asked = append(asked, strings.Join(c.InstanceIds, ","))
				}
				assert.ElementsMatch(t, chunks, asked, "each chunk of ids asked once")
				var want []string
				for _, ids := range chunks {
					want = append(want, "req-"+strings.SplitN(ids, ",", 2)[0])
				}
				assert.Equal(t, want, reqIDs, "every call's RequestId, in chunk order")
			} else {
				assert.Equal(t, tt.wantOffsets, offsets)
				assert.Equal(t, tt.wantCallIDs, sizes)
			}
			assert.Len(t, reqIDs, len(f.calls), "every call's RequestId")
		})
	}
}

// Each instance's project and tags are read from the answer.
func TestListInstancesReadsProjectAndTags(t *testing.T) {
	f := &fleet{instances: []cvm.Instance{{ID: "ins-00000001", ProjectID: 1045, Tags: []cvm.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: ""}}}}}
	got, _, err := Instances(context.Background(), f, exampleCreds, "ap-guangzhou", Query{InstanceIDs: []string{"ins-00000001"}})
	require.NoError(t, err)
	assert.Equal(t, []cvm.Instance{{ID: "ins-00000001", ProjectID: 1045, Tags: []cvm.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: ""}}}}, got)
}

// The same instance on two pages (the set shifted between calls) is listed once.
func TestListInstancesListsEachInstanceOnce(t *testing.T) {
	prod := tagged(150, "p", 0, cvm.Tag{Key: "env", Value: "prod"})
	f := &fleet{instances: prod, override: func(a cvm.DescribeInstances, out *describeAnswer) {
		if a.Offset == 100 { // the second page repeats the first page's last instance
			dup := out.InstanceSet[0]
			dup.ID = "ins-p0000100"
			out.InstanceSet = append([]describedInstance{dup}, out.InstanceSet...)
		}
	}}
	got, _, err := Instances(context.Background(), f, exampleCreds, "ap-guangzhou", Query{Filters: []cvm.Filter{cvm.TagFilter("env", nil)}})
	require.NoError(t, err)
	assert.Equal(t, idsOf(prod), idsOf(got), "each once, in order")
}

// An error mid-way returns what was listed, every RequestId and the error.
func TestListInstancesStopsAtAnError(t *testing.T) {
	prod := tagged(250, "p", 0, cvm.Tag{Key: "env", Value: "prod"})
	query := Query{Filters: []cvm.Filter{cvm.TagFilter("env", strptr("prod"))}}
	tests := []struct {
		name       string
		fail       func() (cvm.Result, error)
		wantIs     error
		wantCode   string
		wantReqIDs []string
	}{
		{"an upstream code", func() (cvm.Result, error) {
			return cvm.Result{RequestID: "req-fail"}, &cvm.APIError{RequestID: "req-fail", Code: "InternalError", Message: "try again"}
		}, nil, "InternalError", []string{"req-1", "req-fail"}},
		{"no usable answer", func() (cvm.Result, error) {
			return cvm.Result{}, fmt.Errorf("%w: HTTP 502", cvm.ErrBadResponse)
		}, cvm.ErrBadResponse, "", []string{"req-1"}},
		{"the deadline", func() (cvm.Result, error) {
			return cvm.Result{}, context.DeadlineExceeded
		}, context.DeadlineExceeded, "", []string{"req-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fleet{instances: prod, fail: map[int]func() (cvm.Result, error){1: tt.fail}}
			got, reqIDs, err := Instances(context.Background(), f, exampleCreds, "ap-guangzhou", query)
			require.Error(t, err)
			assert.Equal(t, idsOf(prod[:100]), idsOf(got), "the first page is returned")
			assert.Equal(t, tt.wantReqIDs, reqIDs)
			assert.Len(t, f.calls, 2, "no call after the error")
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
				assert.Contains(t, err.Error(), "offset 100")
			}
			if tt.wantCode != "" {
				var apiErr *cvm.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.wantCode, apiErr.Code)
				assert.Equal(t, "req-fail", apiErr.RequestID)
			}
		})
	}
}

// By id, the chunks are asked in order, each instance listed once, and a
// failed chunk stops the listing with what the chunks before it listed.
func TestListInstancesByIDChunkByChunk(t *testing.T) {
	all := tagged(1000, "p", 7)
	ids := idsOf(all)
	ids = append(ids, ids[5], ids[250]) // repeated in a later chunk: listed once, where first asked
	f := &fleet{instances: all}
	got, reqIDs, err := Instances(context.Background(), f, exampleCreds, "ap-guangzhou", Query{InstanceIDs: ids})
	require.NoError(t, err)
	assert.Equal(t, idsOf(all), idsOf(got), "in chunk order, each once")
	var want []string
	for chunk := range slices.Chunk(ids, cvm.MaxInstancesPerCall) {
		want = append(want, "req-"+chunk[0])
	}
	assert.Equal(t, want, reqIDs, "in chunk order")
	assert.Len(t, f.calls, 11)

	f = &fleet{instances: all, failFirstID: map[string]func() (cvm.Result, error){
		ids[200]: func() (cvm.Result, error) {
			return cvm.Result{RequestID: "req-fail"}, &cvm.APIError{RequestID: "req-fail", Code: "InternalError", Message: "no"}
		},
	}}
	got, reqIDs, err = Instances(context.Background(), f, exampleCreds, "ap-guangzhou", Query{InstanceIDs: ids})
	assert.Equal(t, "InternalError", cvm.Code(err))
	assert.Equal(t, ids[:200], idsOf(got), "the chunks before the failed one")
	assert.Equal(t, []string{"req-" + ids[0], "req-" + ids[100], "req-fail"}, reqIDs)
	assert.Len(t, f.calls, 3, "no chunk asked once one has failed")
}

// A page that comes back empty before TotalCount is reached is not an end.
func TestListInstancesRefusesAnEmptyPageBeforeTheEnd(t *testing.T) {
	f := &fleet{instances: tagged(150, "p", 0, cvm.Tag{Key: "env", Value: "prod"}), override: func(a cvm.DescribeInstances, out *describeAnswer) {
		if a.Offset == 100 {
			out.InstanceSet = nil
		}
	}}
	got, _, err := Instances(context.Background(), f, exampleCreds, "ap-guangzhou", Query{Filters: []cvm.Filter{cvm.TagFilter("env", nil)}})
	require.ErrorIs(t, err, cvm.ErrBadResponse)
	assert.Len(t, got, 100)
	assert.Len(t, f.calls, 2)
}

func TestListInstancesRefusesBadQueries(t *testing.T) {
	for _, q := range []Query{{}, {InstanceIDs: []string{"ins-00000001"}, Filters: []cvm.Filter{cvm.TagFilter("env", nil)}}} {
		f := &fleet{}
		_, _, err := Instances(context.Background(), f, exampleCreds, "ap-guangzhou", q)
		assert.True(t, errors.Is(err, ErrBadQuery), "%+v: %v", q, err)
		assert.Empty(t, f.calls)
	}
}

// Through the real client and its answer parsing: a page's JSON is read.
func TestListInstancesThroughTheClient(t *testing.T) {
	c := newTestClient(t, cvm.API3Endpoint, signer.TC3HmacSHA256, answerWith{200, "application/json",
		`{"Response":{"TotalCount":1,"InstanceSet":[{"Placement":{"Zone":"ap-guangzhou-3","ProjectId":7,"HostId":null},"InstanceId":"ins-r8hr2upy","InstanceName":"web-1","Tags":[{"Key":"team","Value":"web"}]}],"RequestId":"r-1"}}`})
	got, reqIDs, err := Instances(context.Background(), c, exampleCreds, "ap-guangzhou", Query{InstanceIDs: []string{"ins-r8hr2upy"}})
	require.NoError(t, err)
	assert.Equal(t, []cvm.Instance{{ID: "ins-r8hr2upy", ProjectID: 7, Tags: []cvm.Tag{{Key: "team", Value: "web"}}}}, got)
	assert.Equal(t, []string{"r-1"}, reqIDs)
}

func idsOf(in []cvm.Instance) []string {
	var out []string
	for _, i := range in {
		out = append(out, i.ID)
	}
	return out
}

// The latest operation and the security groups are read as the API names
// them; null, absent and [] all read as empty.
func TestListInstancesReadsOperationsAndSecurityGroups(t *testing.T) {
	tests := []struct {
		name string
		item string
		want cvm.Instance
	}{
		{"all given", `{"InstanceId":"ins-r8hr2upy","Placement":{"ProjectId":7},"SecurityGroupIds":["sg-aaaaaaaa","sg-bbbbbbbb"],"LatestOperation":"ModifyInstancesProject","LatestOperationState":"OPERATING","LatestOperationRequestId":"req-1"}`,
			cvm.Instance{ID: "ins-r8hr2upy", ProjectID: 7, SecurityGroupIds: []string{"sg-aaaaaaaa", "sg-bbbbbbbb"}, LatestOperation: "ModifyInstancesProject", LatestOperationState: cvm.OperationOperating, LatestOperationRequestId: "req-1"}},
		{"null", `{"InstanceId":"ins-r8hr2upy","Placement":{"ProjectId":7},"SecurityGroupIds":null,"LatestOperation":null,"LatestOperationState":null,"LatestOperationRequestId":null}`,
			cvm.Instance{ID: "ins-r8hr2upy", ProjectID: 7}},
		{"absent", `{"InstanceId":"ins-r8hr2upy","Placement":{"ProjectId":7}}`,
			cvm.Instance{ID: "ins-r8hr2upy", ProjectID: 7}},
		{"states", `{"InstanceId":"ins-r8hr2upy","Placement":{"ProjectId":7},"InstanceState":"RUNNING","RestrictState":"PROTECTIVELY_ISOLATED","IsolatedSource":"FLOW","LatestOperationErrorMsg":"why"}`,
			cvm.Instance{ID: "ins-r8hr2upy", ProjectID: 7, State: "RUNNING", RestrictState: "PROTECTIVELY_ISOLATED", IsolatedSource: "FLOW", LatestOperationErrorMsg: "why"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, cvm.API3Endpoint, signer.TC3HmacSHA256, answerWith{200, "application/json",
				`{"Response":{"TotalCount":1,"InstanceSet":[` + tt.item + `],"RequestId":"r-1"}}`})
			got, _, err := Instances(context.Background(), c, exampleCreds, "ap-guangzhou", Query{InstanceIDs: []string{"ins-r8hr2upy"}})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.want.ID, got[0].ID)
			assert.Equal(t, tt.want.ProjectID, got[0].ProjectID)
			assert.Equal(t, len(tt.want.SecurityGroupIds), len(got[0].SecurityGroupIds))
			assert.Equal(t, tt.want.LatestOperation, got[0].LatestOperation)
			assert.Equal(t, tt.want.LatestOperationState, got[0].LatestOperationState)
			assert.Equal(t, tt.want.LatestOperationRequestId, got[0].LatestOperationRequestId)
			assert.Equal(t, tt.want.LatestOperationErrorMsg, got[0].LatestOperationErrorMsg)
			assert.Equal(t, []string{tt.want.State, tt.want.RestrictState, tt.want.IsolatedSource}, []string{got[0].State, got[0].RestrictState, got[0].IsolatedSource})
		})
	}
}

func strptr(s string) *string { return &s }

// fixedKeys are a Provider of the keys a test gives.
type fixedKeys credentials.Credentials

func (k fixedKeys) Retrieve(context.Context) (credentials.Credentials, error) {
	return credentials.Credentials(k), nil
}

var exampleCreds = fixedKeys{
	SecretID:  "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
	SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
	Source:    "env",
}

// answerWith answers every request with status, contentType and body.
type answerWith struct {
	status            int
	contentType, body string
}

func (a answerWith) Do(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: http.Header{"Content-Type": {a.contentType}}, Body: io.NopCloser(strings.NewReader(a.body))}, nil
}

// newTestClient is a client of endpoint that sends through d.
func newTestClient(t *testing.T, endpoint string, method signer.Method, d credentials.Doer) *cvm.Client {
	t.Helper()
	c, err := cvm.New(endpoint, method, d)
	require.NoError(t, err)
	c.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return c
}
