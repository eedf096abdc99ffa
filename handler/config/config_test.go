package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/signer"
)

// A made-up token, long enough for API_TOKEN.
const testToken = "test-token-4f1c9a0e7b2d6c83-EXAMPLE"

func strPtr(s string) *string { return &s }

var (
	envProd    = rules.Rule{Key: "env", Value: strPtr("prod"), ProjectID: 1045}
	teamAny    = rules.Rule{Key: "team", ProjectID: 7}
	configured = []rules.Rule{envProd, teamAny}
)

// ruleSet is configured as JSON.
const ruleSet = `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7}]`

// getenv reads env.
func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// files is a readFile over the named contents; any other name is missing.
func files(contents map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := contents[name]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("open " + name + ": no such file or directory")
	}
}

// load is Load with clients that send through http.DefaultClient and log
// nowhere.
func load(getenv func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	return Load(getenv, readFile, nil, slog.New(slog.DiscardHandler))
}

// noFiles is a readFile that must not be called.
func noFiles(t *testing.T) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		t.Errorf("read %s though RULES_FILE is not set", name)
		return nil, errors.New("unexpected read")
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := load(getenv(map[string]string{}), noFiles(t))
	require.NoError(t, err)
	assert.Equal(t, cvm.API3Endpoint, c.CVM.Endpoint())
	assert.Equal(t, signer.TC3HmacSHA256, c.CVM.Method())
	assert.Equal(t, cvm.TagEndpoint, c.Tags.Endpoint())
	assert.Equal(t, cvm.SCFEndpoint, c.SCF.Endpoint())
	assert.Empty(t, c.DefaultRegion)
	assert.Equal(t, guard.Security{}, c.Security, "the safe defaults: every HTTP request refused")
	assert.Equal(t, Tuning{MaxRetries: DefaultMaxRetries, MaxConcurrency: DefaultMaxConcurrency, RateLimit: DefaultRateLimit}, c.Tuning)
	assert.Equal(t, Tuning{MaxRetries: 3, MaxConcurrency: 4, RateLimit: 10}, c.Tuning)
	assert.Nil(t, c.Rules, "no rules unless RULES_FILE or PROJECT_RULES says")

	// Blank is unset.
	c, err = load(getenv(map[string]string{credentials.EnvRegion: " ", EnvEndpoint: "  ", EnvSignatureMethod: " ", EnvMaxRetries: " ",
		guard.EnvDryRun: " ", rules.EnvProjectRules: " \n", rules.EnvRulesFile: " "}), noFiles(t))
	require.NoError(t, err)
	assert.Equal(t, cvm.API3Endpoint, c.CVM.Endpoint())
	assert.Equal(t, signer.TC3HmacSHA256, c.CVM.Method())
	assert.Empty(t, c.DefaultRegion)
	assert.Equal(t, DefaultMaxRetries, c.Tuning.MaxRetries)
	assert.False(t, c.Security.DryRun)
	assert.Nil(t, c.Rules)
}

func TestLoadReadsEverySetting(t *testing.T) {
	env := map[string]string{
		credentials.EnvRegion:       " ap-guangzhou\n",
		EnvSignatureMethod:          "TC3-HMAC-SHA256",
		guard.EnvAPIToken:           testToken,
		guard.EnvAllowGET:           "true",
		guard.EnvAllowedProjectIDs:  "0,1045,7",
		guard.EnvMaxInstances:       "500",
		guard.EnvDryRun:             "true",
		guard.EnvAllowAnonymousHTTP: "false",
		EnvMaxRetries:               "5",
		EnvMaxConcurrency:           "8",
		EnvRateLimit:                "2.5",
		EnvSkipInvalid:              "true",
		EnvKeepSecurityGroups:       "true",
		rules.EnvProjectRules:       ruleSet,
		rules.EnvReconcileRegions:   "ap-guangzhou, ap-beijing",
		credentials.EnvFunctionName: "cvm-project",
		EnvNamespace:                "default",
	}
	c, err := load(getenv(env), noFiles(t))
	require.NoError(t, err)
	assert.Equal(t, cvm.API3Endpoint, c.CVM.Endpoint())
	assert.Equal(t, signer.TC3HmacSHA256, c.CVM.Method())
	c.CVM, c.Tags, c.SCF = nil, nil, nil
	assert.Equal(t, Config{
		DefaultRegion: "ap-guangzhou",
		Security: guard.Security{TokenSHA256: guard.TokenDigest(testToken), AllowGET: true, AllowedProjectIDs: []int64{0, 1045, 7},
			MaxInstances: 500, DryRun: true},
		Tuning:  Tuning{MaxRetries: 5, MaxConcurrency: 8, RateLimit: 2.5, SkipInvalid: true},
		Verify:  Verify{Enabled: true, KeepSecurityGroups: true},
		Rules:   configured,
		Account: Account{Regions: []string{"ap-guangzhou", "ap-beijing"}, FunctionName: "cvm-project", Namespace: "default"},
		Secrets: []string{testToken},
	}, c)
}

// API 3.0 and TC3 by default; a v1 method alone keeps API 3.0's endpoint;
// a legacy CVM_ENDPOINT alone takes HmacSHA256. The client's own checks
// refuse what it could not call.
func TestLoadEndpoint(t *testing.T) {
	tests := []struct {
		env          map[string]string
		wantEndpoint string
		wantMethod   signer.Method
		wantErr      string
	}{
		{map[string]string{}, cvm.API3Endpoint, signer.TC3HmacSHA256, ""},
		{map[string]string{EnvSignatureMethod: "TC3-HMAC-SHA256"}, cvm.API3Endpoint, signer.TC3HmacSHA256, ""},
		{map[string]string{EnvSignatureMethod: "HmacSHA256"}, cvm.API3Endpoint, signer.HmacSHA256, ""},
		{map[string]string{EnvEndpoint: cvm.LegacyEndpoint}, cvm.LegacyEndpoint, signer.HmacSHA256, ""},
		{map[string]string{EnvEndpoint: "http://127.0.0.1:9000/"}, "http://127.0.0.1:9000/", signer.TC3HmacSHA256, ""},
		{map[string]string{EnvEndpoint: cvm.LegacyEndpoint, EnvSignatureMethod: "HmacSHA1"}, cvm.LegacyEndpoint, signer.HmacSHA1, ""},
		{map[string]string{EnvSignatureMethod: "HmacSHA1", EnvEndpoint: "https://cvm.tencentcloudapi.com/"}, cvm.API3Endpoint, signer.HmacSHA1, ""},
		{map[string]string{EnvSignatureMethod: "md5"}, "", "", "SIGNATURE_METHOD"},
		{map[string]string{EnvSignatureMethod: "TC3-HMAC-SHA256", EnvEndpoint: cvm.LegacyEndpoint}, "", "", "legacy endpoint"},
		{map[string]string{EnvEndpoint: "not a url"}, "", "", "CVM_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			c, err := load(getenv(tt.env), noFiles(t))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantEndpoint, c.CVM.Endpoint())
			assert.Equal(t, tt.wantMethod, c.CVM.Method())
		})
	}
}

// The clients Load builds are tuned and log to its logger; the Tag API's
// signs as the CVM client does, but with TC3-HMAC-SHA256 for a legacy CVM
// endpoint, and the SCF API's with TC3-HMAC-SHA256.
func TestLoadBuildsTheClients(t *testing.T) {
	tests := []struct {
		env                map[string]string
		wantTags, wantSCF  signer.Method
		wantTagEndpoint    string
		wantInvokeEndpoint string
	}{
		{map[string]string{EnvMaxRetries: "7", EnvRateLimit: "4"}, signer.TC3HmacSHA256, signer.TC3HmacSHA256, cvm.TagEndpoint, cvm.SCFEndpoint},
		{map[string]string{EnvMaxRetries: "7", EnvRateLimit: "4", EnvSignatureMethod: "HmacSHA1", EnvTagEndpoint: "http://127.0.0.1:9/tag/", EnvInvokeEndpoint: "http://127.0.0.1:9/scf/"},
			signer.HmacSHA1, signer.TC3HmacSHA256, "http://127.0.0.1:9/tag/", "http://127.0.0.1:9/scf/"},
		{map[string]string{EnvMaxRetries: "7", EnvRateLimit: "4", EnvEndpoint: cvm.LegacyEndpoint}, signer.TC3HmacSHA256, signer.TC3HmacSHA256, cvm.TagEndpoint, cvm.SCFEndpoint},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			logger := slog.New(slog.DiscardHandler)
			c, err := Load(getenv(tt.env), noFiles(t), nil, logger)
			require.NoError(t, err)
			assert.Equal(t, tt.wantTags, c.Tags.Method())
			assert.Equal(t, tt.wantSCF, c.SCF.Method())
			assert.Equal(t, tt.wantTagEndpoint, c.Tags.Endpoint())
			assert.Equal(t, tt.wantInvokeEndpoint, c.SCF.Endpoint())
			for _, client := range []*cvm.Client{c.CVM, c.Tags, c.SCF} {
				assert.Equal(t, 7, client.Retry.MaxRetries)
				assert.Equal(t, map[string]float64{"ModifyInstancesProject": 4}, client.Rates.Ceilings)
				assert.Same(t, logger, client.Logger)
			}
		})
	}
}

// Every malformed setting is reported, each naming its variable, in one
// error; none repeats a token.
func TestLoadReportsEveryBadSetting(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{guard.EnvAllowedProjectIDs: "5,x"}, []string{guard.EnvAllowedProjectIDs}},
		{map[string]string{guard.EnvMaxInstances: "100001"}, []string{guard.EnvMaxInstances}},
		{map[string]string{guard.EnvAPIToken: "short"}, []string{guard.EnvAPIToken}},
		{map[string]string{guard.EnvDryRun: "perhaps", EnvSignatureMethod: "md5"}, []string{guard.EnvDryRun, EnvSignatureMethod}},
		{map[string]string{EnvMaxRetries: "11", guard.EnvAllowGET: "on"}, []string{EnvMaxRetries, guard.EnvAllowGET}},
		{map[string]string{EnvEndpoint: "not a url", EnvRateLimit: "fast", guard.EnvMaxInstances: "0", rules.EnvProjectRules: "[]"},
			[]string{EnvEndpoint, EnvRateLimit, guard.EnvMaxInstances, rules.EnvProjectRules}},
		{map[string]string{EnvTagEndpoint: "not a url", EnvInvokeEndpoint: "ftp://x"}, []string{EnvTagEndpoint, EnvInvokeEndpoint}},
		{map[string]string{EnvInvokeEndpoint: "ftp://x", rules.EnvReconcileRegions: "ap guangzhou"}, []string{EnvInvokeEndpoint, rules.EnvReconcileRegions}},
		{map[string]string{EnvMaxRetries: "11", EnvMaxConcurrency: "0", EnvRateLimit: "fast", EnvSkipInvalid: "yes", EnvVerify: "maybe"},
			[]string{EnvMaxRetries, EnvMaxConcurrency, EnvRateLimit, EnvSkipInvalid, EnvVerify}},
		{map[string]string{guard.EnvAPIToken: "short", guard.EnvAPITokenSHA256: strings.Repeat("z", 64), guard.EnvAllowAnonymousHTTP: "yes",
			rules.EnvRulesFile: "gone.json"},
			[]string{guard.EnvAPIToken, guard.EnvAPITokenSHA256, guard.EnvAllowAnonymousHTTP, rules.EnvRulesFile}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			_, err := load(getenv(tt.env), files(nil))
			require.Error(t, err)
			for _, v := range tt.want {
				assert.Contains(t, err.Error(), v)
			}
			assert.NotContains(t, err.Error(), `"short"`, "a token is never repeated")
			assert.NotContains(t, err.Error(), strings.Repeat("z", 64), "nor a digest")
		})
	}
}

func TestLoadKeepsTheTokenAsASecret(t *testing.T) {
	c, err := load(getenv(map[string]string{guard.EnvAPIToken: testToken}), noFiles(t))
	require.NoError(t, err)
	assert.Equal(t, []string{testToken}, c.Secrets)
	assert.Equal(t, guard.TokenDigest(testToken), c.Security.TokenSHA256)
	assert.Equal(t, guard.Redacted, guard.Redact(testToken, c.Secrets...))

	// Even a malformed token is masked in the log line that reports it.
	c, err = load(getenv(map[string]string{guard.EnvAPIToken: "short-token"}), noFiles(t))
	require.Error(t, err)
	assert.Equal(t, []string{"short-token"}, c.Secrets)
}

// readRules was Handler.configureRules: the configured rules, or why they
// cannot be used.
func TestReadRules(t *testing.T) {
	readFile := files(map[string]string{"rules.json": ruleSet, "bad.json": `[{"Tag":{"Key":"env"}}]`})
	tests := []struct {
		name    string
		env     map[string]string
		allowed []int64 // ALLOWED_PROJECT_IDS
		want    []rules.Rule
		wantErr string
	}{
		{"none", map[string]string{}, nil, nil, ""},
		{"PROJECT_RULES", map[string]string{rules.EnvProjectRules: ruleSet}, nil, configured, ""},
		{"RULES_FILE", map[string]string{rules.EnvRulesFile: "rules.json"}, nil, configured, ""},
		{"rules into allowed projects", map[string]string{rules.EnvProjectRules: ruleSet}, []int64{1045, 7}, configured, ""},
		{"a rule into a project not allowed", map[string]string{rules.EnvProjectRules: ruleSet}, []int64{1045}, nil, "PROJECT_RULES: Rules[1]: the function may not move instances into project 7"},
		{"a file's rule into a project not allowed", map[string]string{rules.EnvRulesFile: "rules.json"}, []int64{7}, nil, `RULES_FILE "rules.json": Rules[0]: the function may not move instances into project 1045`},
		{"both", map[string]string{rules.EnvRulesFile: "rules.json", rules.EnvProjectRules: ruleSet}, nil, nil, "RULES_FILE and PROJECT_RULES are both set"},
		{"a bad inline set", map[string]string{rules.EnvProjectRules: `[{"Tag":{"Key":"env"}}]`}, nil, nil, "PROJECT_RULES: Rules[0].ProjectId is missing"},
		{"a bad file", map[string]string{rules.EnvRulesFile: "bad.json"}, nil, nil, `RULES_FILE "bad.json": Rules[0].ProjectId is missing`},
		{"no file", map[string]string{rules.EnvRulesFile: "gone.json"}, nil, nil, "RULES_FILE: open gone.json: no such file"},
		{"inline not JSON", map[string]string{rules.EnvProjectRules: "env=prod:1045"}, nil, nil, "PROJECT_RULES: Rules must be an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readRules(getenv(tt.env), readFile, guard.Security{AllowedProjectIDs: tt.allowed})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// A rules file larger than maxRulesFile is refused, not parsed.
func TestReadRulesBoundsTheFile(t *testing.T) {
	big := "[" + strings.Repeat(" ", maxRulesFile) + `{"Tag":{"Key":"team"},"ProjectId":7}]`
	_, err := readRules(getenv(map[string]string{rules.EnvRulesFile: "big.json"}), files(map[string]string{"big.json": big}), guard.Security{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `RULES_FILE "big.json" is`)
	assert.Contains(t, err.Error(), fmt.Sprintf("at most %d are read", maxRulesFile))
}

// Load reads the rules as readRules does, under the ALLOWED_PROJECT_IDS it
// read; a bad rule set is a configuration error like any bad setting.
func TestLoadRules(t *testing.T) {
	readFile := files(map[string]string{"rules.json": ruleSet})

	_, err := load(getenv(map[string]string{rules.EnvProjectRules: `[]`}), readFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PROJECT_RULES: Rules is empty")

	c, err := load(getenv(map[string]string{rules.EnvProjectRules: `[{"Tag":{"Key":"team"},"ProjectId":7}]`, guard.EnvDryRun: "1"}), readFile)
	require.NoError(t, err)
	assert.Equal(t, []rules.Rule{teamAny}, c.Rules)
	assert.True(t, c.Security.DryRun)

	c, err = load(getenv(map[string]string{rules.EnvRulesFile: " rules.json "}), readFile)
	require.NoError(t, err)
	assert.Equal(t, configured, c.Rules)

	_, err = load(getenv(map[string]string{rules.EnvRulesFile: "rules.json", rules.EnvProjectRules: ruleSet}), readFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "RULES_FILE and PROJECT_RULES are both set")

	_, err = load(getenv(map[string]string{rules.EnvProjectRules: ruleSet, guard.EnvAllowedProjectIDs: "0,1045"}), readFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PROJECT_RULES: Rules[1]: the function may not move instances into project 7")

	c, err = load(getenv(map[string]string{rules.EnvRulesFile: "rules.json", guard.EnvAllowedProjectIDs: "7, 1045"}), readFile)
	require.NoError(t, err)
	assert.Equal(t, configured, c.Rules)
}
