package rules

import (
	samples "scf-cvm-project/events"

	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/trigger"
)

var (
	envProd    = Rule{Key: "env", Value: strPtr("prod"), ProjectID: 1045}
	teamAny    = Rule{Key: "team", ProjectID: 7}
	configured = []Rule{envProd, teamAny}
)

func ptr(n int64) *int64 { return &n }

// ids returns ins-<from> to ins-<to>, as eight digits.
func ids(from, to int) []string {
	out := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-%08d", i))
	}
	return out
}

// sampleFiles returns the name and bytes of every sample event in events/.
func sampleFiles(testing.TB) map[string][]byte { return samples.Samples() }

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name       string
		raw        request.Raw
		configured []Rule
		dryRun     bool
		want       Request
	}{
		{"reconcile with configured rules", request.Raw{Reconcile: true}, configured, false,
			Request{Rules: configured, Region: "ap-shanghai"}},
		{"the request's rules win", request.Raw{Rules: []byte(`[{"Tag":{"Key":"owner","Value":"me"},"ProjectId":3}]`), Region: "ap-guangzhou"}, configured, false,
			Request{Rules: []Rule{{Key: "owner", Value: strPtr("me"), ProjectID: 3}}, Region: "ap-guangzhou"}},
		{"instances, deduplicated", request.Raw{InstanceIDs: []string{"ins-00000002", "ins-00000001", "ins-00000002"}, HasInstanceIDs: true, Reconcile: true}, configured, false,
			Request{Rules: configured, InstanceIDs: []string{"ins-00000002", "ins-00000001"}, Region: "ap-shanghai"}},
		{"a dry run", request.Raw{Reconcile: true}, configured, true, Request{Rules: configured, Region: "ap-shanghai", DryRun: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.raw, "ap-shanghai", tt.configured, request.MaxInstanceIDs, tt.dryRun)
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name       string
		raw        request.Raw
		configured []Rule
		def        string
		code       string
		message    string
	}{
		{"Rules and ProjectId", request.Raw{Rules: []byte(`[{"Tag":{"Key":"k"},"ProjectId":1}]`), ProjectID: ptr(3), HasProjectID: true}, nil, "ap-guangzhou",
			answer.CodeInvalidParameterValue, "ProjectId cannot be given with Rules"},
		{"no rules anywhere", request.Raw{Reconcile: true}, nil, "ap-guangzhou", answer.CodeMissingParameter, "RULES_FILE or PROJECT_RULES"},
		{"a bad rule set", request.Raw{Rules: []byte(`[{"Tag":{"Key":"k"},"ProjectId":1},{"Tag":{"Key":"k"},"ProjectId":2}]`)}, configured, "ap-guangzhou",
			answer.CodeInvalidParameterValue, "Rules[1] sends tag"},
		{"empty InstanceIds is not a reconciliation", request.Raw{InstanceIDs: nil, HasInstanceIDs: true, Reconcile: true}, configured, "ap-guangzhou",
			answer.CodeMissingParameter, "leave InstanceIds out to reconcile"},
		{"a malformed id", request.Raw{InstanceIDs: []string{"ins-1"}, HasInstanceIDs: true, Reconcile: true}, configured, "ap-guangzhou", answer.CodeInstanceIDMalformed, `"ins-1"`},
		{"too many ids", request.Raw{InstanceIDs: ids(1, request.MaxInstanceIDs+1), HasInstanceIDs: true, Reconcile: true}, configured, "ap-guangzhou", answer.CodeLimitExceeded, "10001"},
		{"no region", request.Raw{Reconcile: true}, configured, "", answer.CodeMissingParameter, "Region"},
		{"a bad region", request.Raw{Reconcile: true, Region: "Guangzhou"}, configured, "", answer.CodeInvalidParameterValue, `"Guangzhou"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(tt.raw, tt.def, tt.configured, request.MaxInstanceIDs, false)
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
		_, err := request.FromJSON("the event", []byte(tt.json))
		require.NotNil(t, err, tt.json)
		assert.Equal(t, answer.CodeInvalidParameterValue, err.Code)
		assert.Equal(t, tt.message, err.Message)
	}
}

// The rules samples ask for what they say.
func TestRulesSampleRequests(t *testing.T) {
	files := sampleFiles(t)
	tests := map[string]struct {
		raw  request.Raw
		want Request
	}{
		"rules-direct.json": {
			raw: request.Raw{InstanceIDs: ids(171, 173), HasInstanceIDs: true,
				Rules: []byte(`[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7}]`)},
			want: Request{Rules: configured, InstanceIDs: ids(171, 173), Region: "ap-shanghai"},
		},
		"rules-timer-reconcile.json": {
			raw:  request.Raw{Reconcile: true},
			want: Request{Rules: configured, Region: "ap-shanghai"},
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
			ev, err := trigger.Decode(payload)
			require.Nil(t, err)
			raw, err := ev.Request()
			require.Nil(t, err)
			assert.Equal(t, tt.raw, raw)
			got, err := Validate(raw, "ap-shanghai", configured, request.MaxInstanceIDs, false)
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, len(tests), n)
}
