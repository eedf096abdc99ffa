package rules

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
)

// tagAPI answers DescribeProjects from a list of projects, matching the
// ProjectName filter in part (the documentation does not say it matches
// exactly), a page of Limit from Offset.
type tagAPI struct {
	projects []map[string]any
	err      error
	calls    int
}

func (f *tagAPI) Call(_ context.Context, _ credentials.Provider, _ string, action cvm.Action, out any) (cvm.Result, error) {
	f.calls++
	if f.err != nil {
		return cvm.Result{Attempts: 1}, f.err
	}
	a := action.(cvm.DescribeProjects)
	var matched []map[string]any
	for _, p := range f.projects {
		if name := p["ProjectName"].(string); a.ProjectName == "" || len(name) >= len(a.ProjectName) && name[:len(a.ProjectName)] == a.ProjectName {
			matched = append(matched, p)
		}
	}
	page := matched[min(a.Offset, len(matched)):min(a.Offset+a.Limit, len(matched))]
	b, _ := json.Marshal(map[string]any{"Total": len(matched), "Projects": page})
	return cvm.Result{RequestID: "req-1", Attempts: 1}, json.Unmarshal(b, out)
}

func project(id int64, name string) map[string]any {
	return map[string]any{"ProjectId": id, "ProjectName": name}
}

func TestProjectsResolve(t *testing.T) {
	projects := []map[string]any{project(1045, "prod"), project(1046, "prod-eu"), project(11, "shared"), project(12, "shared")}
	for _, tt := range []struct {
		name  string
		names []string
		err   error
		want  map[string]int64
		code  string
	}{
		{"one name", []string{"prod"}, nil, map[string]int64{"prod": 1045}, ""},
		{"exact matches only", []string{"prod", "prod-eu"}, nil, map[string]int64{"prod": 1045, "prod-eu": 1046}, ""},
		{"unknown", []string{"prdo"}, nil, nil, answer.CodeProjectNotFound},
		{"ambiguous", []string{"shared"}, nil, nil, CodeProjectAmbiguous},
		{"the call fails", []string{"prod"}, &cvm.APIError{Code: "AuthFailure.UnauthorizedOperation", Message: "no"}, nil, "AuthFailure.UnauthorizedOperation"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := &tagAPI{projects: projects, err: tt.err}
			got, err := (&Projects{Tags: api}).Resolve(context.Background(), nil, "ap-guangzhou", tt.names)
			if tt.code != "" {
				require.NotNil(t, err)
				assert.Equal(t, tt.code, err.Code, err.Message)
				assert.Contains(t, err.Message, "nothing was moved")
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// A warm process resolves a name once, until 5 minutes pass.
func TestProjectsRemembersForTTL(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	api := &tagAPI{projects: []map[string]any{project(1045, "prod")}}
	p := &Projects{Tags: api, Now: func() time.Time { return now }}
	for _, step := range []struct {
		after time.Duration
		calls int
	}{{0, 1}, {4 * time.Minute, 1}, {61 * time.Second, 2}} {
		now = now.Add(step.after)
		got, err := p.Resolve(context.Background(), nil, "", []string{"prod"})
		require.Nil(t, err)
		assert.Equal(t, int64(1045), got["prod"])
		assert.Equal(t, step.calls, api.calls, "after %v", step.after)
	}
}

func TestParseRuleByProjectName(t *testing.T) {
	for _, tt := range []struct {
		name, rules string
		want        []Rule
		err         string
	}{
		{"a name", `[{"Tag":{"Key":"env","Value":"prod"},"Project":"prod"}]`, []Rule{{Key: "env", Value: strPtr("prod"), ProjectID: -1, ProjectName: "prod"}}, ""},
		{"names and ids", `[{"Tag":{"Key":"env"},"Project":"prod"},{"Tag":{"Key":"team"},"ProjectId":7}]`, []Rule{{Key: "env", ProjectID: -1, ProjectName: "prod"}, {Key: "team", ProjectID: 7}}, ""},
		{"both", `[{"Tag":{"Key":"env"},"Project":"prod","ProjectId":1}]`, nil, "Rules[0] gives both ProjectId and Project"},
		{"empty", `[{"Tag":{"Key":"env"},"Project":" "}]`, nil, "Rules[0].Project is empty"},
		{"not a string", `[{"Tag":{"Key":"env"},"Project":5}]`, nil, "Rules[0].Project must be a string"},
		{"one tag, two names", `[{"Tag":{"Key":"env"},"Project":"prod"},{"Tag":{"Key":"env"},"Project":"dev"}]`, nil, `Rules[1] sends tag "env=*" to project "dev", but Rules[0] sends it to project "prod"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("", []byte(tt.rules))
			if tt.err != "" {
				require.NotNil(t, err)
				assert.Contains(t, err.Message, tt.err)
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, []string{"prod"}, Names(got))
			resolved := WithIDs(got, map[string]int64{"prod": 1045})
			assert.Equal(t, int64(1045), resolved[0].ProjectID)
			assert.Equal(t, int64(-1), got[0].ProjectID, "WithIDs copies")
		})
	}
}

// ALLOWED_PROJECT_IDS bounds every rule of a set; the first refused rule
// is named by its index in the set, a rule named by its project counted
// too (checked once resolved).
func TestAllowProjects(t *testing.T) {
	allow := func(allowed ...int64) func(int64) *answer.Error {
		return func(id int64) *answer.Error {
			for _, a := range allowed {
				if a == id {
					return nil
				}
			}
			return answer.Errorf(answer.CodeProjectNotAllowed, "not %d", id)
		}
	}
	named := Rule{Key: "team", ProjectName: "prod"} // ProjectID 0 until resolved
	tests := []struct {
		name     string
		set      []Rule
		resolved bool
		allowed  []int64
		want     string // the refusal's message; "" none
	}{
		{"every rule allowed", []Rule{{ProjectID: 1045}, {ProjectID: 7}}, false, []int64{7, 1045}, ""},
		{"the first refused, by its index", []Rule{{ProjectID: 1045}, {ProjectID: 7}, {ProjectID: 8}}, false, []int64{1045}, "Rules[1]: not 7"},
		{"a named rule before it counts in the index", []Rule{named, {ProjectID: 7}}, false, []int64{1045}, "Rules[1]: not 7"},
		{"a named rule is not checked before it is resolved", []Rule{named}, false, []int64{1045}, ""},
		{"and is once resolved", []Rule{{ProjectID: 1045}, {Key: "team", ProjectName: "prod", ProjectID: 9}}, true, []int64{1045}, "Rules[1]: not 9"},
		{"no rules", nil, true, []int64{7}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := AllowProjects(tt.set, tt.resolved, allow(tt.allowed...))
			if tt.want == "" {
				assert.Nil(t, err)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, answer.CodeProjectNotAllowed, err.Code)
			assert.Equal(t, tt.want, err.Message)
		})
	}
}
