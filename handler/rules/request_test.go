package rules

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	envProd    = Rule{Key: "env", Value: strPtr("prod"), ProjectID: 1045}
	teamAny    = Rule{Key: "team", ProjectID: 7}
	configured = []Rule{envProd, teamAny}
)

func TestUsesRules(t *testing.T) {
	tests := []struct {
		name       string
		raw        RawRequest
		configured []Rule
		want       bool
	}{
		{"a plain move", RawRequest{InstanceIDs: ids(1, 1), HasInstanceIDs: true, ProjectID: ptr(3), HasProjectID: true}, configured, false},
		{"Rules", RawRequest{Rules: []byte(`[]`)}, nil, true},
		{"Reconcile", RawRequest{Reconcile: true}, nil, true},
		{"instances without a project, rules configured", RawRequest{InstanceIDs: ids(1, 1), HasInstanceIDs: true}, configured, true},
		{"instances without a project, no rules: a move missing its project", RawRequest{InstanceIDs: ids(1, 1), HasInstanceIDs: true}, nil, false},
		{"nothing at all is never a reconciliation", RawRequest{}, configured, false},
		{"a project without instances", RawRequest{ProjectID: ptr(3), HasProjectID: true}, configured, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, usesRules(tt.raw, tt.configured), tt.name)
	}
}

func TestValidateRuleRequestAccepts(t *testing.T) {
	tests := []struct {
		name       string
		raw        RawRequest
		configured []Rule
		dryRun     bool
		want       RuleRequest
	}{
		{"reconcile with configured rules", RawRequest{Reconcile: true}, configured, false,
			RuleRequest{Rules: configured, Region: "ap-shanghai"}},
		{"the request's rules win", RawRequest{Rules: []byte(`[{"Tag":{"Key":"owner","Value":"me"},"ProjectId":3}]`), Region: "ap-guangzhou"}, configured, false,
			RuleRequest{Rules: []Rule{{Key: "owner", Value: strPtr("me"), ProjectID: 3}}, Region: "ap-guangzhou"}},
		{"instances, deduplicated", RawRequest{InstanceIDs: []string{"ins-00000002", "ins-00000001", "ins-00000002"}, HasInstanceIDs: true, Reconcile: true}, configured, false,
			RuleRequest{Rules: configured, InstanceIDs: []string{"ins-00000002", "ins-00000001"}, Region: "ap-shanghai"}},
		{"a dry run", RawRequest{Reconcile: true}, configured, true, RuleRequest{Rules: configured, Region: "ap-shanghai", DryRun: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateRuleRequest(tt.raw, "ap-shanghai", tt.configured, 0, tt.dryRun)
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValidateRuleRequestRejects(t *testing.T) {
	tests := []struct {
		name       string
		raw        RawRequest
		configured []Rule
		def        string
		code       string
		message    string
	}{
		{"Rules and ProjectId", RawRequest{Rules: []byte(`[{"Tag":{"Key":"k"},"ProjectId":1}]`), ProjectID: ptr(3), HasProjectID: true}, nil, "ap-guangzhou",
			CodeInvalidParameterValue, "ProjectId cannot be given with Rules"},
		{"no rules anywhere", RawRequest{Reconcile: true}, nil, "ap-guangzhou", CodeMissingParameter, "RULES_FILE or PROJECT_RULES"},
		{"a bad rule set", RawRequest{Rules: []byte(`[{"Tag":{"Key":"k"},"ProjectId":1},{"Tag":{"Key":"k"},"ProjectId":2}]`)}, configured, "ap-guangzhou",
			CodeInvalidParameterValue, "Rules[1] sends tag"},
		{"empty InstanceIds is not a reconciliation", RawRequest{InstanceIDs: nil, HasInstanceIDs: true, Reconcile: true}, configured, "ap-guangzhou",
			CodeMissingParameter, "leave InstanceIds out to reconcile"},
		{"a malformed id", RawRequest{InstanceIDs: []string{"ins-1"}, HasInstanceIDs: true, Reconcile: true}, configured, "ap-guangzhou", CodeInstanceIDMalformed, `"ins-1"`},
		{"too many ids", RawRequest{InstanceIDs: ids(1, MaxInstanceIDs+1), HasInstanceIDs: true, Reconcile: true}, configured, "ap-guangzhou", CodeLimitExceeded, "10001"},
		{"no region", RawRequest{Reconcile: true}, configured, "", CodeMissingParameter, "Region"},
		{"a bad region", RawRequest{Reconcile: true, Region: "Guangzhou"}, configured, "", CodeInvalidParameterValue, `"Guangzhou"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateRuleRequest(tt.raw, tt.def, tt.configured, 0, false)
			require.NotNil(t, err)
			assert.Equal(t, tt.code, err.Code)
			assert.Contains(t, err.Message, tt.message)
		})
	}
}

func TestRuleFieldsOfTheWrongType(t *testing.T) {
	for _, tt := range []struct{ json, message string }{
		{`{"Reconcile":"yes"}`, `Reconcile must be true or false; got "yes"`},
		{`{"DryRun":1}`, "DryRun must be true or false; got a number"},
	} {
		_, err := requestFromJSON("the event", []byte(tt.json))
		require.NotNil(t, err, tt.json)
		assert.Equal(t, CodeInvalidParameterValue, err.Code)
		assert.Equal(t, tt.message, err.Message)
	}
}

// The rules samples ask for what they say.
func TestRulesSampleRequests(t *testing.T) {
	files := sampleFiles(t)
	tests := map[string]struct {
		raw  RawRequest
		want RuleRequest
	}{
		"rules-direct.json": {
			raw: RawRequest{InstanceIDs: ids(171, 173), HasInstanceIDs: true,
				Rules: []byte(`[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7}]`)},
			want: RuleRequest{Rules: configured, InstanceIDs: ids(171, 173), Region: "ap-shanghai"},
		},
		"rules-timer-reconcile.json": {
			raw:  RawRequest{Reconcile: true},
			want: RuleRequest{Rules: configured, Region: "ap-shanghai"},
		},
	}
	n := 0
	for name, payload := range files {
		if !strings.HasPrefix(name, "rules-") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			tt, ok := tests[name]
			require.True(t, ok, "no expectation for sample %s", name)
			ev, err := DecodeEvent(payload)
			require.Nil(t, err)
			raw, err := RequestFromEvent(ev)
			require.Nil(t, err)
			assert.Equal(t, tt.raw, raw)
			require.True(t, usesRules(raw, configured))
			got, err := ValidateRuleRequest(raw, "ap-shanghai", configured, 0, false)
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, len(tests), n)
}

func TestConfigureRules(t *testing.T) {
	const rules = `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7}]`
	files := map[string]string{"rules.json": rules, "bad.json": `[{"Tag":{"Key":"env"}}]`}
	readFile := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("open " + name + ": no such file or directory")
	}
	tests := []struct {
		name    string
		env     map[string]string
		allowed []int64 // ALLOWED_PROJECT_IDS
		want    []Rule
		wantErr string
	}{
		{"none", map[string]string{}, nil, nil, ""},
		{"PROJECT_RULES", map[string]string{EnvProjectRules: rules}, nil, configured, ""},
		{"RULES_FILE", map[string]string{EnvRulesFile: "rules.json"}, nil, configured, ""},
		{"rules into allowed projects", map[string]string{EnvProjectRules: rules}, []int64{1045, 7}, configured, ""},
		{"a rule into a project not allowed", map[string]string{EnvProjectRules: rules}, []int64{1045}, nil, "PROJECT_RULES: Rules[1]: the function may not move instances into project 7"},
		{"both", map[string]string{EnvRulesFile: "rules.json", EnvProjectRules: rules}, nil, nil, "RULES_FILE and PROJECT_RULES are both set"},
		{"a bad inline set", map[string]string{EnvProjectRules: `[{"Tag":{"Key":"env"}}]`}, nil, nil, "PROJECT_RULES: Rules[0].ProjectId is missing"},
		{"a bad file", map[string]string{EnvRulesFile: "bad.json"}, nil, nil, `RULES_FILE "bad.json": Rules[0].ProjectId is missing`},
		{"no file", map[string]string{EnvRulesFile: "gone.json"}, nil, nil, "RULES_FILE: open gone.json: no such file"},
		{"inline not JSON", map[string]string{EnvProjectRules: "env=prod:1045"}, nil, nil, "PROJECT_RULES: Rules must be an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{Security: Security{AllowedProjectIDs: tt.allowed}}
			err := h.configureRules(func(k string) string { return tt.env[k] }, readFile)
			if tt.wantErr != "" {
				require.NotNil(t, err)
				assert.Equal(t, CodeInvalidConfig, err.Code)
				assert.Contains(t, err.Message, tt.wantErr)
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.want, h.Rules)
		})
	}
}

// A bad rule set in the environment makes NewFromEnv answer every
// invocation InvalidConfig, as any other bad setting.
func TestNewFromEnvRefusesBadRules(t *testing.T) {
	env := map[string]string{EnvProjectRules: `[]`}
	h := NewFromEnv(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	require.NotNil(t, h.ConfigErr)
	assert.Equal(t, CodeInvalidConfig, h.ConfigErr.Code)
	assert.Contains(t, h.ConfigErr.Message, "PROJECT_RULES: Rules is empty")

	env = map[string]string{EnvProjectRules: `[{"Tag":{"Key":"team"},"ProjectId":7}]`, EnvDryRun: "1"}
	h = NewFromEnv(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	require.Nil(t, h.ConfigErr)
	assert.Equal(t, []Rule{teamAny}, h.Rules)
	assert.True(t, h.Security.DryRun)
}
