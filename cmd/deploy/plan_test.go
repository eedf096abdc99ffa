package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The digest of the documentation's made-up token.
const tokenDigest = "4a1ad77c5e0b3dfc9e2f06b1d0a4c1f3b93e3f6a0c2d5e7f8091a2b3c4d5e6f7"

func settingsFile(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "settings.env")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path
}

// plan is the calls a dry run prints, for a configuration.
func plan(t *testing.T, existing bool, settings ...string) []call {
	t.Helper()
	env := map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest, "EVENT_BUS_ID": "eb-3kq8c1xz"}
	cfg, err := loadConfig(func(k string) string { return env[k] }, settingsFile(t, settings...), "no-such.zip", true)
	require.NoError(t, err)
	r := &dryRunner{out: &bytes.Buffer{}, existing: existing}
	require.NoError(t, deploy(context.Background(), r, cfg))
	return r.calls
}

var withRules = []string{`PROJECT_RULES=[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045}]`, "KEEP_SECURITY_GROUPS=true"}

// Every call of every plan names a service, an action and parameters that
// exist in the API models, each of the model's type, with the required
// ones given; together the plans use every write the deploy can make.
func TestEveryCallExistsInTheAPIModels(t *testing.T) {
	m := apiModels(t)
	used := map[string]bool{}
	for _, tt := range []struct {
		name     string
		existing bool
		settings []string
	}{
		{"a first deploy", false, nil},
		{"a first deploy with tag rules", false, withRules},
		{"a redeploy", true, nil},
		{"a redeploy with tag rules", true, withRules},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := plan(t, tt.existing, tt.settings...)
			require.NotEmpty(t, calls)
			for _, c := range calls {
				used[c.Service+" "+c.Action] = true
				assert.Empty(t, m.check(c), "%s %s", c.Service, c.Action)
			}
		})
	}
	for _, want := range []string{
		"cam CreateRole", "cam UpdateAssumeRolePolicy", "cam CreatePolicy", "cam UpdatePolicy", "cam AttachRolePolicy",
		"scf CreateFunction", "scf UpdateFunctionCode", "scf UpdateFunctionConfiguration", "scf CreateTrigger", "scf UpdateTrigger",
		"eb CreateRule", "eb UpdateRule", "eb CreateTarget", "sts GetCallerIdentity",
	} {
		assert.True(t, used[want], "no plan calls %s", want)
	}
}

// The check fails a call whose service, action, parameter name or type is
// wrong, or that lacks a required parameter.
func TestTheCheckReportsAWrongCall(t *testing.T) {
	m := apiModels(t)
	tests := []struct {
		name string
		c    call
		want string
	}{
		{"a misspelt parameter", call{"scf", "CreateTrigger", map[string]any{"FunctionNmae": "f", "FunctionName": "f", "TriggerName": "t", "Type": "timer"}},
			"tccli scf CreateTrigger: no parameter FunctionNmae in CreateTriggerRequest"},
		{"a misspelt nested parameter", call{"scf", "CreateFunction", map[string]any{"FunctionName": "f", "Code": map[string]any{"ZipFle": "x"}}},
			"tccli scf CreateFunction Code: no parameter ZipFle in Code"},
		{"a number given as a string", call{"scf", "UpdateFunctionConfiguration", map[string]any{"FunctionName": "f", "MemorySize": "64"}},
			`tccli scf UpdateFunctionConfiguration MemorySize: want a number, have the string "64"`},
		{"a boolean given as a string", call{"eb", "CreateRule", map[string]any{"EventBusId": "eb", "RuleName": "r", "EventPattern": "{}", "Enable": "true"}},
			`tccli eb CreateRule Enable: want a boolean, have the string "true"`},
		{"an object where the model has a string", call{"cam", "CreateRole", map[string]any{"RoleName": "r", "PolicyDocument": map[string]any{"version": "2.0"}}},
			"tccli cam CreateRole PolicyDocument: want a string, have an object"},
		{"a required parameter missing", call{"eb", "CreateTarget", map[string]any{"EventBusId": "eb", "RuleId": "r", "Type": "scf"}},
			"tccli eb CreateTarget: the required parameter TargetDescription is missing"},
		{"an action that does not exist", call{"scf", "CreateFunctionUrl", map[string]any{"FunctionName": "f"}},
			"tccli scf CreateFunctionUrl: no such action"},
		{"a service that is not in the models", call{"lambda", "CreateFunction", nil}, "tccli lambda: no such service in the models"},
		{"an array element of the wrong shape", call{"scf", "UpdateFunctionConfiguration", map[string]any{"FunctionName": "f",
			"Environment": map[string]any{"Variables": []any{map[string]any{"Name": "A", "Value": "b"}}}}},
			"tccli scf UpdateFunctionConfiguration Environment Variables[0]: no parameter Name in Variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, m.check(tt.c), tt.want)
		})
	}
}

// A dry run needs no keys and no tccli: it prints each call, with the
// secrets and the code package left out, and makes none.
func TestADryRunPrintsThePlan(t *testing.T) {
	env := map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest, "EVENT_BUS_ID": "eb-3kq8c1xz", "PATH": ""}
	var stdout, stderr bytes.Buffer
	status := run([]string{"-dry-run", "-tccli", "/no/such/tccli", "-settings", settingsFile(t, withRules...)}, func(k string) string { return env[k] }, &stdout, &stderr)
	require.Equal(t, 0, status, stderr.String())
	out := stdout.String()
	for _, want := range []string{
		"+ tccli cam CreateRole --region ap-guangzhou ",
		"+ tccli cam CreatePolicy --region ap-guangzhou ",
		`"action":["cvm:ModifyInstancesProject","cvm:ModifyInstancesAttribute"]`,
		`"action":["tag:AttachResourcesTag","tag:DetachResourcesTag","tag:DescribeProjects"]`,                                                // KEEP_SECURITY_GROUPS' records; projects by name
		`"action":["scf:InvokeFunction"],"effect":"allow","resource":["qcs::scf:ap-guangzhou::namespace/default/function/cvm-project-prod"]`, // the fan-out
		"+ tccli cam AttachRolePolicy --region ap-guangzhou --AttachRoleName SCF_CVMProjectRole --PolicyName SCF_CVMProjectPolicy",
		"+ tccli scf CreateFunction --region ap-guangzhou --Code '{\"ZipFile\":\"<base64 of the code package>\"}'",
		"--Enable CLOSE --FunctionName cvm-project-prod --Qualifier '$DEFAULT' --TriggerDesc '0 0 */6 * * * *' --TriggerName reconcile-projects --Type timer",
		`--TriggerDesc '{"AuthType":"NONE","NetConfig":{"EnableIntranet":false,"EnableExtranet":true}}' --TriggerName function-url --Type http`,
		"+ tccli eb CreateRule --region ap-guangzhou ",
		"+ tccli eb CreateTarget --region ap-guangzhou ",
		`{"Key":"API_TOKEN_SHA256","Value":"<not shown>"}`,
		"# dry run: no call made",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, tokenDigest, "the token's digest is not printed")
}

// What a deploy cannot do without is refused before any call.
func TestADeployNeedsItsSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no STAGE", map[string]string{"API_TOKEN_SHA256": tokenDigest}, nil, "set STAGE"},
		{"no token", map[string]string{"STAGE": "prod"}, nil, "API_TOKEN_SHA256 is not set"},
		{"tag rules without a bus", map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest},
			[]string{"-settings", "RULES"}, "EVENT_BUS_ID is not set"},
		{"no code package", map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest}, []string{"-zip", "no-such.zip"}, "make zip builds it"},
		{"an unknown setting", map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest}, []string{"-settings", "UNKNOWN"}, "want KEY=VALUE with KEY one of"},
		{"an argument", map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest}, []string{"-dry-run", "now"}, "Flags:"},
		{"no tccli", map[string]string{"STAGE": "prod", "API_TOKEN_SHA256": tokenDigest}, []string{"-zip", "ZIP", "-tccli", "/no/such/tccli"}, "install tccli"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string(nil), tt.args...)
			for i, a := range args {
				switch a {
				case "RULES":
					args[i] = settingsFile(t, withRules...)
				case "UNKNOWN":
					args[i] = settingsFile(t, "TENCENTCLOUD_SECRETKEY=x")
				case "ZIP":
					args[i] = filepath.Join(t.TempDir(), "main.zip")
					require.NoError(t, os.WriteFile(args[i], []byte("PK"), 0o644))
				}
			}
			var stdout, stderr bytes.Buffer
			status := run(args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			assert.Equal(t, 2, status)
			assert.Contains(t, stderr.String(), tt.want)
			assert.NotContains(t, stdout.String(), "+ tccli", "no call")
		})
	}
}

// make deploy gives the function the memory serverless.yml ships.
func TestTheMemoryIsServerlessYmls(t *testing.T) {
	b, err := os.ReadFile("../../serverless.yml")
	require.NoError(t, err)
	var doc struct {
		Inputs struct {
			MemorySize int `yaml:"memorySize"`
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	assert.Equal(t, doc.Inputs.MemorySize, MemorySize)
}
