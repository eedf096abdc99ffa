package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCloud answers the deploy's calls from what earlier calls created, as
// the services would.
type fakeCloud struct {
	roles, policies, attached, functions, triggers, rules, targets map[string]bool
	writes                                                         []string
	updating                                                       int // GetFunction answers Updating this many times first
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{roles: map[string]bool{}, policies: map[string]bool{}, attached: map[string]bool{}, functions: map[string]bool{},
		triggers: map[string]bool{}, rules: map[string]bool{}, targets: map[string]bool{}}
}

func (f *fakeCloud) do(_ context.Context, _ string, c call) (json.RawMessage, error) {
	p := func(k string) string { return fmt.Sprint(c.Params[k]) }
	answer := func(v any) (json.RawMessage, error) { return json.Marshal(v) }
	absent := &apiError{Code: "ResourceNotFound.Function", Message: "not found"}
	switch c.Action {
	case "GetCallerIdentity":
		return answer(map[string]any{"AccountId": "100000000001"})
	case "GetRole":
		if !f.roles[p("RoleName")] {
			return nil, &apiError{Code: "ResourceNotFound.RoleNotExist", Message: "role not exist"}
		}
		return answer(map[string]any{"RoleInfo": map[string]any{"RoleName": p("RoleName")}})
	case "ListPolicies":
		var list []any
		for name := range f.policies {
			list = append(list, map[string]any{"PolicyName": name})
		}
		return answer(map[string]any{"List": list})
	case "ListAttachedRolePolicies":
		var list []any
		for name := range f.attached {
			list = append(list, map[string]any{"PolicyName": name})
		}
		return answer(map[string]any{"List": list})
	case "GetFunction":
		if !f.functions[p("FunctionName")] {
			return nil, absent
		}
		if f.updating > 0 {
			f.updating--
			return answer(map[string]any{"Status": "Updating"})
		}
		return answer(map[string]any{"Status": "Active"})
	case "ListTriggers":
		var list []any
		for key := range f.triggers {
			var typ, name string
			fmt.Sscanf(key, "%s %s", &typ, &name)
			list = append(list, map[string]any{"Type": typ, "TriggerName": name})
		}
		return answer(map[string]any{"Triggers": list})
	case "ListRules":
		var list []any
		for name := range f.rules {
			list = append(list, map[string]any{"RuleName": name, "RuleId": "rule-" + name})
		}
		return answer(map[string]any{"Rules": list})
	case "ListTargets":
		var list []any
		for rd := range f.targets {
			list = append(list, map[string]any{"TargetDescription": map[string]any{"ResourceDescription": rd}})
		}
		return answer(map[string]any{"Targets": list})
	}
	f.writes = append(f.writes, c.Service+" "+c.Action)
	switch c.Action {
	case "CreateRole":
		f.roles[p("RoleName")] = true
	case "CreatePolicy":
		f.policies[p("PolicyName")] = true
	case "AttachRolePolicy":
		f.attached[p("PolicyName")] = true
	case "CreateFunction":
		f.functions[p("FunctionName")] = true
		f.updating = 1
	case "UpdateFunctionCode", "UpdateFunctionConfiguration":
		f.updating = 1
	case "CreateTrigger":
		f.triggers[p("Type")+" "+p("TriggerName")] = true
	case "CreateRule":
		f.rules[p("RuleName")] = true
		return answer(map[string]any{"RuleId": "rule-" + p("RuleName")})
	case "CreateTarget":
		f.targets[c.Params["TargetDescription"].(map[string]any)["ResourceDescription"].(string)] = true
	}
	return answer(map[string]any{"RequestId": "fake"})
}

// A deploy creates each resource once; the next deploy finds them and
// only updates: no Create and no second AttachRolePolicy or CreateTarget.
func TestADeployRunsAgainAndOnlyUpdates(t *testing.T) {
	env := map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest, "EVENT_BUS_ID": "eb-3kq8c1xz"}
	zip := filepath.Join(t.TempDir(), "main.zip")
	require.NoError(t, os.WriteFile(zip, []byte("PK\x03\x04"), 0o644))
	cfg, err := loadConfig(func(k string) string { return env[k] }, settingsFile(t, withRules...), zip, false)
	require.NoError(t, err)
	cfg.Poll = time.Millisecond
	cloud := newFakeCloud()
	ctx := context.Background()

	require.NoError(t, deploy(ctx, cloud, cfg))
	assert.Equal(t, []string{
		"cam CreateRole", "cam CreatePolicy", "cam AttachRolePolicy",
		"scf CreateFunction",
		"scf CreateTrigger", "scf CreateTrigger",
		"eb CreateRule", "eb CreateTarget",
	}, cloud.writes, "a first deploy")

	cloud.writes = nil
	require.NoError(t, deploy(ctx, cloud, cfg))
	assert.Equal(t, []string{
		"cam UpdateAssumeRolePolicy", "cam UpdatePolicy",
		"scf UpdateFunctionCode", "scf UpdateFunctionConfiguration",
		"scf UpdateTrigger", "scf UpdateTrigger",
		"eb UpdateRule",
	}, cloud.writes, "a redeploy")
	assert.Len(t, cloud.targets, 1)
	assert.True(t, cloud.targets["qcs::scf:ap-guangzhou:uin/100000000001:namespace/default/function/cvm-project-prod/$LATEST"])
}
