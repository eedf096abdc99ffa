package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

// fleetTable is testTable plus 250 instances tagged env=prod (ins-p0000001..),
// 30 tagged env=dev and team=data in project 7 (ins-d0000001..), and one
// tagged team=web (ins-w0000001).
func fleetTable() []Instance {
	out := testTable()
	out = append(out, TaggedInstances("p", 1, 250, 0, Tag{"env", "prod"})...)
	out = append(out, TaggedInstances("d", 1, 30, 7, Tag{"env", "dev"}, Tag{"team", "data"})...)
	return append(out, TaggedInstances("w", 1, 1, 1045, Tag{"team", "web"})...)
}

func newFleetEnv(t *testing.T) *env {
	t.Helper()
	v := newEnv(t)
	v.e.AddInstances(fleetTable()...)
	return v
}

// listing is a decoded DescribeInstances answer.
type listing struct {
	TotalCount  int
	InstanceSet []struct {
		Placement struct {
			Zone      string
			ProjectId int64
		}
		InstanceId    string
		InstanceState string
		Tags          []Tag
	}
}

func (l listing) ids() []string {
	var out []string
	for _, in := range l.InstanceSet {
		out = append(out, in.InstanceId)
	}
	return out
}

func decodeListing(t *testing.T, a answer) listing {
	t.Helper()
	require.Empty(t, a.Code, a.Message)
	var body struct{ Response listing }
	require.NoError(t, json.Unmarshal([]byte(a.Body), &body))
	return body.Response
}

// describeV1 sends DescribeInstances with params (besides the common ones)
// as a signed v1 form POST to path.
func (v *env) describeV1(t *testing.T, path string, params map[string]string) answer {
	t.Helper()
	return v.sendV1(t, http.MethodPost, path, v.v1Params(t, http.MethodPost, path, permKey, signer.HmacSHA256, 0, func(p map[string]string) {
		p["Action"] = ActionDescribe
		delete(p, "ProjectId")
		setIDs()(p)
		for k, val := range params {
			p[k] = val
		}
	}))
}

// describeTC3 sends DescribeInstances with a JSON body, TC3-signed.
func (v *env) describeTC3(t *testing.T, body string) answer {
	t.Helper()
	return v.postTC3(t, permKey, body, func(m *tc3Msg) { m.header.Set("X-TC-Action", ActionDescribe) }, nil)
}

func pIDs(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-p%07d", i))
	}
	return out
}

// A tag filter pages through 250 matches on every endpoint and signature
// method, the lists numbered from the endpoint's base.
func TestDescribePagesThroughATagFilter(t *testing.T) {
	pages := []struct {
		offset, limit string
		want          []string
	}{
		{"0", "100", pIDs(1, 100)},
		{"100", "100", pIDs(101, 200)},
		{"200", "100", pIDs(201, 250)},
		{"250", "100", nil},
	}
	send := map[string]func(v *env, offset, limit string) answer{
		"legacy, from 1": func(v *env, offset, limit string) answer {
			return v.describeV1(t, PathLegacy, map[string]string{"Filters.1.Name": "tag:env", "Filters.1.Values.1": "prod", "Offset": offset, "Limit": limit})
		},
		"api3 v1, from 0": func(v *env, offset, limit string) answer {
			return v.describeV1(t, PathAPI3, map[string]string{"Filters.0.Name": "tag:env", "Filters.0.Values.0": "prod", "Offset": offset, "Limit": limit})
		},
		"api3 TC3": func(v *env, offset, limit string) answer {
			return v.describeTC3(t, `{"Filters":[{"Name":"tag:env","Values":["prod"]}],"Offset":`+offset+`,"Limit":`+limit+`}`)
		},
	}
	for name, fn := range send {
		t.Run(name, func(t *testing.T) {
			v := newFleetEnv(t)
			for _, p := range pages {
				l := decodeListing(t, fn(v, p.offset, p.limit))
				assert.Equal(t, 250, l.TotalCount)
				assert.Equal(t, p.want, l.ids(), "offset %s", p.offset)
			}
			calls := v.e.Calls()
			require.Len(t, calls, len(pages))
			assert.Equal(t, []Filter{{Name: "tag:env", Values: []string{"prod"}}}, calls[0].Filters)
			assert.Equal(t, "100", calls[1].Offset)
			assert.Equal(t, "100", calls[1].Limit)
			assert.Equal(t, ActionDescribe, calls[1].Action)
		})
	}
}

// Filters match on tags, projects and ids: any value of a filter, and
// every filter of the request.
func TestDescribeFilters(t *testing.T) {
	tests := []struct {
		name    string
		filters string
		want    int
		first   string
	}{
		{"tag:<key>", `[{"Name":"tag:team","Values":["web"]}]`, 1, "ins-w0000001"},
		{"tag:<key>, two values", `[{"Name":"tag:env","Values":["dev","qa"]}]`, 30, "ins-d0000001"},
		{"tag:<key> is case-sensitive", `[{"Name":"tag:env","Values":["Prod"]}]`, 0, ""},
		{"tag-key", `[{"Name":"tag-key","Values":["team"]}]`, 31, "ins-d0000001"},
		{"tag-value", `[{"Name":"tag-value","Values":["data"]}]`, 30, "ins-d0000001"},
		{"project-id", `[{"Name":"project-id","Values":["7"]}]`, 31, "ins-aaaa0003"},
		{"instance-id", `[{"Name":"instance-id","Values":["ins-p0000007"]}]`, 1, "ins-p0000007"},
		{"two filters: both", `[{"Name":"tag-key","Values":["team"]},{"Name":"project-id","Values":["1045"]}]`, 1, "ins-w0000001"},
		{"no tag at all", `[{"Name":"tag:owner","Values":["x"]}]`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newFleetEnv(t)
			l := decodeListing(t, v.describeTC3(t, `{"Filters":`+tt.filters+`,"Limit":100}`))
			assert.Equal(t, tt.want, l.TotalCount)
			if tt.first != "" {
				require.NotEmpty(t, l.InstanceSet)
				assert.Equal(t, tt.first, l.InstanceSet[0].InstanceId)
			}
		})
	}
}

// By ids, unknown ones are left out; each instance has its project, tags
// and zone in the API's shape, untagged ones "Tags": [].
func TestDescribeByIDs(t *testing.T) {
	v := newFleetEnv(t)
	a := v.describeV1(t, PathLegacy, map[string]string{"InstanceIds.1": "ins-w0000001", "InstanceIds.2": "ins-zzzz0009", "InstanceIds.3": "ins-aaaa0003"})
	l := decodeListing(t, a)
	assert.Equal(t, 2, l.TotalCount)
	assert.Equal(t, []string{"ins-aaaa0003", "ins-w0000001"}, l.ids())
	assert.Contains(t, a.Body, `{"Placement":{"Zone":"ap-guangzhou-3","ProjectId":7},"InstanceId":"ins-aaaa0003","InstanceState":"RUNNING","Tags":[]}`)
	assert.Contains(t, a.Body, `"InstanceId":"ins-w0000001","InstanceState":"RUNNING","Tags":[{"Key":"team","Value":"web"}]}`)
	assert.Equal(t, []string{"ins-w0000001", "ins-zzzz0009", "ins-aaaa0003"}, v.e.Calls()[0].InstanceIDs)

	none := v.describeTC3(t, `{"InstanceIds":["ins-zzzz0009"]}`)
	assert.Contains(t, none.Body, `"TotalCount":0,"InstanceSet":[]`)
}

// The listing follows the table: tags set and projects moved since show.
func TestDescribeSeesChanges(t *testing.T) {
	v := newFleetEnv(t)
	require.True(t, v.e.SetTags("ins-aaaa0001", Tag{"env", "prod"}))
	assert.False(t, v.e.SetTags("ins-zzzz0009", Tag{"env", "prod"}))
	l := decodeListing(t, v.describeTC3(t, `{"Filters":[{"Name":"tag:env","Values":["prod"]}],"Limit":1}`))
	assert.Equal(t, 251, l.TotalCount)
	assert.Equal(t, []string{"ins-aaaa0001"}, l.ids(), "sorted by id")
	assert.Equal(t, []Tag{{"env", "prod"}}, l.InstanceSet[0].Tags)
}

func TestDescribeRefusals(t *testing.T) {
	tests := []struct {
		name, body string
		params     map[string]string // v1 instead, on PathAPI3
		wantCode   string
		wantInMsg  string
	}{
		{name: "ids and filters", body: `{"InstanceIds":["ins-aaaa0001"],"Filters":[{"Name":"tag-key","Values":["env"]}]}`, wantCode: CodeInvalidParameter, wantInMsg: "together"},
		{name: "101 ids", body: `{"InstanceIds":` + jsonList(manyIDs(101)) + `}`, wantCode: CodeLimitExceeded, wantInMsg: "101"},
		{name: "a malformed id", body: `{"InstanceIds":["ins-1"]}`, wantCode: CodeMalformed, wantInMsg: "ins-1"},
		{name: "11 filters", body: `{"Filters":[` + strings.Repeat(`{"Name":"tag-key","Values":["a"]},`, 10) + `{"Name":"tag-key","Values":["a"]}]}`, wantCode: CodeLimitExceeded, wantInMsg: "11 filters"},
		{name: "6 values", body: `{"Filters":[{"Name":"tag-key","Values":["a","b","c","d","e","f"]}]}`, wantCode: CodeLimitExceeded, wantInMsg: "6 values"},
		{name: "no values", body: `{"Filters":[{"Name":"tag-key","Values":[]}]}`, wantCode: CodeInvalidParameterValue, wantInMsg: "no values"},
		{name: "an unknown filter", body: `{"Filters":[{"Name":"owner","Values":["a"]}]}`, wantCode: CodeInvalidFilter, wantInMsg: "owner"},
		{name: "tag: without a key", body: `{"Filters":[{"Name":"tag:","Values":["a"]}]}`, wantCode: CodeInvalidFilter},
		{name: "a filter without a name", body: `{"Filters":[{"Values":["a"]}]}`, wantCode: CodeInvalidParameter, wantInMsg: "Name"},
		{name: "Filters not an array", body: `{"Filters":{"Name":"tag-key"}}`, wantCode: CodeInvalidParameterValue, wantInMsg: "Filters"},
		{name: "Limit 0", body: `{"Filters":[{"Name":"tag-key","Values":["a"]}],"Limit":0}`, wantCode: CodeInvalidParameterValue, wantInMsg: "Limit"},
		{name: "Limit 101", body: `{"Filters":[{"Name":"tag-key","Values":["a"]}],"Limit":101}`, wantCode: CodeInvalidParameterValue, wantInMsg: "Limit"},
		{name: "Offset -1", body: `{"Filters":[{"Name":"tag-key","Values":["a"]}],"Offset":-1}`, wantCode: CodeInvalidParameterValue, wantInMsg: "Offset"},
		{name: "v1 values without a name", params: map[string]string{"Filters.0.Values.0": "a"}, wantCode: CodeInvalidParameter, wantInMsg: "Filters.0.Name"},
		{name: "v1 a bad filter parameter", params: map[string]string{"Filters.0.Value": "a"}, wantCode: CodeInvalidParameter, wantInMsg: "Filters.0.Value"},
		{name: "v1 Limit not a number", params: map[string]string{"Filters.0.Name": "tag-key", "Filters.0.Values.0": "a", "Limit": "ten"}, wantCode: CodeInvalidParameterValue, wantInMsg: "Limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newFleetEnv(t)
			var a answer
			if tt.params != nil {
				a = v.describeV1(t, PathAPI3, tt.params)
			} else {
				a = v.describeTC3(t, tt.body)
			}
			assert.Equal(t, tt.wantCode, a.Code)
			assert.Contains(t, a.Message, tt.wantInMsg)
			assert.NotContains(t, a.Body, "InstanceSet")
		})
	}
}

// DescribeInstances is signed and checked like every call.
func TestDescribeIsAuthenticated(t *testing.T) {
	v := newFleetEnv(t)
	a := v.postTC3(t, Key{SecretID: permKey.SecretID, SecretKey: "wrong"}, `{"Filters":[{"Name":"tag-key","Values":["env"]}]}`,
		func(m *tc3Msg) { m.header.Set("X-TC-Action", ActionDescribe) }, nil)
	assert.Equal(t, CodeSignatureFailure, a.Code)
	assert.NotContains(t, a.Body, "InstanceSet")
}

// FailDescribeInstances fails listings after the given number of answers,
// and only listings.
func TestFailDescribeInstances(t *testing.T) {
	v := newFleetEnv(t)
	body := `{"Filters":[{"Name":"tag:env","Values":["prod"]}],"Limit":100}`
	v.e.FailDescribeInstances(1, "InternalServerError")
	decodeListing(t, v.describeTC3(t, body))
	a := v.describeTC3(t, body)
	assert.Equal(t, "InternalServerError", a.Code)
	assert.NotEmpty(t, a.RequestID)
	assert.Empty(t, v.postTC3(t, permKey, defaultTC3Body, nil, nil).Code, "moves still work")
	assert.Equal(t, "InternalServerError", v.describeTC3(t, body).Code, "and it keeps failing")

	v.e.FailDescribeInstances(-1, "")
	decodeListing(t, v.describeTC3(t, body))
}

// The table keeps its own copy of tags: neither the caller's slices nor
// what Instances returns share its memory.
func TestTagsAreCopied(t *testing.T) {
	e := New()
	tags := []Tag{{"env", "prod"}}
	e.AddInstances(Instance{ID: "ins-aaaa0001", Tags: tags})
	tags[0].Value = "changed"
	got := e.Instances()
	assert.Equal(t, []Tag{{"env", "prod"}}, got[0].Tags)
	got[0].Tags[0].Value = "changed"
	in, _ := e.Instance("ins-aaaa0001")
	assert.Equal(t, []Tag{{"env", "prod"}}, in.Tags)
	assert.Equal(t, []Instance{
		{ID: "ins-ab000009", ProjectID: 3, Tags: []Tag{{"k", "v"}}},
		{ID: "ins-ab000010", ProjectID: 3, Tags: []Tag{{"k", "v"}}},
	}, TaggedInstances("ab", 9, 2, 3, Tag{"k", "v"}))
}
