package request

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"scf-cvm-project/handler/answer"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name          string
		raw           Raw
		defaultRegion string
		want          Move
	}{
		{"as given", Raw{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou"}, "",
			Move{InstanceIDs: ids(1, 2), ProjectID: 1045, Region: "ap-guangzhou"}},
		{"duplicates dropped, first kept, order kept",
			Raw{InstanceIDs: []string{"ins-0000000c", "ins-0000000a", "ins-0000000c", "ins-0000000b", "ins-0000000a"}, ProjectID: ptr(1)}, "ap-guangzhou",
			Move{InstanceIDs: []string{"ins-0000000c", "ins-0000000a", "ins-0000000b"}, ProjectID: 1, Region: "ap-guangzhou"}},
		{"project 0, the default project", Raw{InstanceIDs: ids(1, 1), ProjectID: ptr(0)}, "ap-guangzhou",
			Move{InstanceIDs: ids(1, 1), ProjectID: 0, Region: "ap-guangzhou"}},
		{"the request's Region wins over the default", Raw{InstanceIDs: ids(1, 1), ProjectID: ptr(1), Region: "na-siliconvalley"}, "ap-guangzhou",
			Move{InstanceIDs: ids(1, 1), ProjectID: 1, Region: "na-siliconvalley"}},
		{"a region of three parts", Raw{InstanceIDs: ids(1, 1), ProjectID: ptr(1), Region: "ap-shanghai-fsi"}, "",
			Move{InstanceIDs: ids(1, 1), ProjectID: 1, Region: "ap-shanghai-fsi"}},
		{"repeats dropped, the first-seen order kept", Raw{InstanceIDs: []string{"ins-00000003", "ins-00000001", "ins-00000003", "ins-00000002", "ins-00000001"}, ProjectID: ptr(1)}, "ap-guangzhou",
			Move{InstanceIDs: []string{"ins-00000003", "ins-00000001", "ins-00000002"}, ProjectID: 1, Region: "ap-guangzhou"}},
		{"exactly MaxInstanceIDs, after dedupe", Raw{InstanceIDs: append(ids(1, MaxInstanceIDs), ids(1, 5)...), ProjectID: ptr(1)}, "ap-guangzhou",
			Move{InstanceIDs: ids(1, MaxInstanceIDs), ProjectID: 1, Region: "ap-guangzhou"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]string(nil), tt.raw.InstanceIDs...)
			got, err := Validate(tt.raw, tt.defaultRegion, MaxInstanceIDs)
			require.Nil(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, before, tt.raw.InstanceIDs, "the raw request is left as it was")
		})
	}
}

// MAX_INSTANCES replaces the default limit, both ways, counted after duplicates are dropped.
func TestValidateLimit(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		max  int
		want string // in the message; "" when accepted
	}{
		{"at a lower limit", ids(1, 3), 3, ""},
		{"over a lower limit", ids(1, 4), 3, "4 distinct ids; at most 3"},
		{"duplicates are not counted", append(ids(1, 3), ids(1, 3)...), 3, ""},
		{"over the default", ids(1, MaxInstanceIDs+1), MaxInstanceIDs, "at most 10000"},
		{"a higher limit", ids(1, MaxInstanceIDs+1), MaxInstanceIDs + 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Validate(Raw{InstanceIDs: tt.ids, ProjectID: ptr(1)}, "ap-guangzhou", tt.max)
			if tt.want == "" {
				require.Nil(t, err)
				assert.Equal(t, slices.Compact(slices.Sorted(slices.Values(tt.ids))), req.InstanceIDs) // ids in order, some twice
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, answer.CodeLimitExceeded, err.Code)
			assert.Contains(t, err.Message, tt.want)
		})
	}
}

func TestValidateRejects(t *testing.T) {
	good := func(edit func(*Raw)) Raw {
		r := Raw{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}
		edit(&r)
		return r
	}
	long := "ins-" + strings.Repeat("z", 500)
	tests := []struct {
		name          string
		raw           Raw
		defaultRegion string
		code          string
		wantIn        []string
		notIn         []string
	}{
		{"InstanceIds absent", good(func(r *Raw) { r.InstanceIDs, r.HasInstanceIDs = nil, false }), "",
			answer.CodeMissingParameter, []string{"InstanceIds is missing"}, nil},
		{"InstanceIds empty", good(func(r *Raw) { r.InstanceIDs = []string{} }), "",
			answer.CodeMissingParameter, []string{"InstanceIds is empty"}, nil},
		{"too many ids", good(func(r *Raw) { r.InstanceIDs = ids(1, MaxInstanceIDs+1) }), "",
			answer.CodeLimitExceeded, []string{"InstanceIds", "10001 distinct ids", "at most 10000"}, nil},
		{"a malformed id: the first is named", good(func(r *Raw) { r.InstanceIDs = []string{"ins-00000001", "i-123", "ins-BAD"} }), "",
			answer.CodeInstanceIDMalformed, []string{"InstanceIds", `"i-123"`}, []string{"ins-BAD"}},
		{"upper case", good(func(r *Raw) { r.InstanceIDs = []string{"INS-00000001"} }), "",
			answer.CodeInstanceIDMalformed, []string{`"INS-00000001"`}, nil},
		{"too short", good(func(r *Raw) { r.InstanceIDs = []string{"ins-0000002"} }), "",
			answer.CodeInstanceIDMalformed, []string{`"ins-0000002"`}, nil},
		{"blanks around", good(func(r *Raw) { r.InstanceIDs = []string{" ins-00000001"} }), "",
			answer.CodeInstanceIDMalformed, []string{`" ins-00000001"`}, nil},
		{"empty id", good(func(r *Raw) { r.InstanceIDs = []string{""} }), "",
			answer.CodeInstanceIDMalformed, []string{`""`}, nil},
		{"an absurd id is cut short", good(func(r *Raw) { r.InstanceIDs = []string{long} }), "",
			answer.CodeInstanceIDMalformed, []string{`"` + long[:64] + `"… (504 bytes)`}, []string{long[:65]}},
		{"cut at a rune boundary", good(func(r *Raw) { r.InstanceIDs = []string{"a" + strings.Repeat("é", 100)} }), "",
			answer.CodeInstanceIDMalformed, []string{`"a` + strings.Repeat("é", 31) + `"… (201 bytes)`}, []string{`\x`}},
		{"ProjectId absent", good(func(r *Raw) { r.ProjectID, r.HasProjectID = nil, false }), "",
			answer.CodeMissingParameter, []string{"ProjectId is missing"}, nil},
		{"ProjectId negative", good(func(r *Raw) { r.ProjectID = ptr(-1) }), "",
			answer.CodeInvalidParameterValue, []string{"ProjectId must be 0", "got -1"}, nil},
		{"Region missing in both", good(func(r *Raw) { r.Region = "" }), "",
			answer.CodeMissingParameter, []string{"Region", "TENCENTCLOUD_REGION"}, nil},
		{"Region malformed", good(func(r *Raw) { r.Region = "Guangzhou" }), "ap-guangzhou",
			answer.CodeInvalidParameterValue, []string{`Region "Guangzhou" is not a region name`}, []string{"TENCENTCLOUD_REGION"}},
		{"the default Region malformed", good(func(r *Raw) { r.Region = "" }), "ap_guangzhou",
			answer.CodeInvalidParameterValue, []string{"Region (from TENCENTCLOUD_REGION)", `"ap_guangzhou"`}, nil},
		{"InstanceIds is checked first", Raw{ProjectID: ptr(-1), Region: "x"}, "",
			answer.CodeMissingParameter, []string{"InstanceIds"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.raw, tt.defaultRegion, MaxInstanceIDs)
			require.NotNil(t, err)
			assert.Equal(t, Move{}, got)
			assert.Equal(t, tt.code, err.Code)
			for _, m := range tt.wantIn {
				assert.Contains(t, err.Message, m)
			}
			for _, m := range tt.notIn {
				assert.NotContains(t, err.Message, m)
			}
			assert.Less(t, len(err.Message), 300)
			assertRefusal(t, err)
		})
	}
}

// The hand-written checks agree with the regular expressions they stand for.
func TestValidInstanceIDAndRegionMatchTheirPatterns(t *testing.T) {
	idPattern := regexp.MustCompile(`^ins-[a-z0-9]{8}$`)
	regionPattern := regexp.MustCompile(`^[a-z]{2}-[a-z]+(-[a-z]+)*$`)
	idCases := []string{"ins-00000001", "ins-abcdefgh", "ins-a1b2c3d4", "ins-0000000", "ins-000000001", "ins-0000000A",
		"ins-0000000-", "ins-0000000é", "INS-00000001", "ins_00000001", "xins-0000001", "ins-", "", "ins-00000001\n"}
	for _, id := range idCases {
		assert.Equal(t, idPattern.MatchString(id), ValidInstanceID(id), "%q", id)
	}
	regionCases := []string{"ap-guangzhou", "na-siliconvalley", "ap-shanghai-fsi", "eu-frankfurt", "a-guangzhou", "apx-guangzhou",
		"ap-", "ap--guangzhou", "ap-guangzhou-", "-ap-guangzhou", "ap", "AP-guangzhou", "ap-guangzhou1", "ap guangzhou",
		"ap-guang_zhou", "", "ap-shanghai-fsi-x", "ap-guangzhou\n"}
	for _, r := range regionCases {
		assert.Equal(t, regionPattern.MatchString(r), ValidRegion(r), "%q", r)
	}
	// Both kinds, so the comparison above cannot pass by always saying no.
	assert.True(t, ValidInstanceID("ins-00000001"))
	assert.False(t, ValidRegion("Guangzhou"))
}

func ptr(n int64) *int64 { return &n }

// ids returns ins-0000000a .. ins-0000000b, the seeded instances' ids.
func ids(from, to int) []string {
	out := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-%08d", i))
	}
	return out
}

// assertRefusal checks that an error is one the caller can fix: a 4xx with
// a message.
func assertRefusal(t *testing.T, err *answer.Error) {
	t.Helper()
	status := answer.HTTPStatus(err.Code)
	assert.True(t, status >= 400 && status < 500, "code %s maps to %d", err.Code, status)
	assert.NotEmpty(t, err.Message)
}
