package request

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name          string
		raw           RawRequest
		defaultRegion string
		want          Request
	}{
		{"as given", RawRequest{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou"}, "",
			Request{InstanceIDs: ids(1, 2), ProjectID: 1045, Region: "ap-guangzhou"}},
		{"duplicates dropped, first kept, order kept",
			RawRequest{InstanceIDs: []string{"ins-0000000c", "ins-0000000a", "ins-0000000c", "ins-0000000b", "ins-0000000a"}, ProjectID: ptr(1)}, "ap-guangzhou",
			Request{InstanceIDs: []string{"ins-0000000c", "ins-0000000a", "ins-0000000b"}, ProjectID: 1, Region: "ap-guangzhou"}},
		{"project 0, the default project", RawRequest{InstanceIDs: ids(1, 1), ProjectID: ptr(0)}, "ap-guangzhou",
			Request{InstanceIDs: ids(1, 1), ProjectID: 0, Region: "ap-guangzhou"}},
		{"the request's Region wins over the default", RawRequest{InstanceIDs: ids(1, 1), ProjectID: ptr(1), Region: "na-siliconvalley"}, "ap-guangzhou",
			Request{InstanceIDs: ids(1, 1), ProjectID: 1, Region: "na-siliconvalley"}},
		{"a region of three parts", RawRequest{InstanceIDs: ids(1, 1), ProjectID: ptr(1), Region: "ap-shanghai-fsi"}, "",
			Request{InstanceIDs: ids(1, 1), ProjectID: 1, Region: "ap-shanghai-fsi"}},
		{"exactly MaxInstanceIDs, after dedupe", RawRequest{InstanceIDs: append(ids(1, MaxInstanceIDs), ids(1, 5)...), ProjectID: ptr(1)}, "ap-guangzhou",
			Request{InstanceIDs: ids(1, MaxInstanceIDs), ProjectID: 1, Region: "ap-guangzhou"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]string(nil), tt.raw.InstanceIDs...)
			got, err := Validate(tt.raw, tt.defaultRegion, 0)
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
		{"over the default", ids(1, MaxInstanceIDs+1), 0, "at most 10000"},
		{"a higher limit", ids(1, MaxInstanceIDs+1), MaxInstanceIDs + 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Validate(RawRequest{InstanceIDs: tt.ids, ProjectID: ptr(1)}, "ap-guangzhou", tt.max)
			if tt.want == "" {
				require.Nil(t, err)
				assert.Equal(t, dedupe(tt.ids), req.InstanceIDs)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, CodeLimitExceeded, err.Code)
			assert.Contains(t, err.Message, tt.want)
		})
	}
}

func TestValidateRejects(t *testing.T) {
	good := func(edit func(*RawRequest)) RawRequest {
		r := RawRequest{InstanceIDs: ids(1, 2), ProjectID: ptr(1045), Region: "ap-guangzhou", HasInstanceIDs: true, HasProjectID: true}
		edit(&r)
		return r
	}
	long := "ins-" + strings.Repeat("z", 500)
	tests := []struct {
		name          string
		raw           RawRequest
		defaultRegion string
		code          string
		wantIn        []string
		notIn         []string
	}{
		{"InstanceIds absent", good(func(r *RawRequest) { r.InstanceIDs, r.HasInstanceIDs = nil, false }), "",
			CodeMissingParameter, []string{"InstanceIds is missing"}, nil},
		{"InstanceIds empty", good(func(r *RawRequest) { r.InstanceIDs = []string{} }), "",
			CodeMissingParameter, []string{"InstanceIds is empty"}, nil},
		{"too many ids", good(func(r *RawRequest) { r.InstanceIDs = ids(1, MaxInstanceIDs+1) }), "",
			CodeLimitExceeded, []string{"InstanceIds", "10001 distinct ids", "at most 10000"}, nil},
		{"a malformed id: the first is named", good(func(r *RawRequest) { r.InstanceIDs = []string{"ins-00000001", "i-123", "ins-BAD"} }), "",
			CodeInstanceIDMalformed, []string{"InstanceIds", `"i-123"`}, []string{"ins-BAD"}},
		{"upper case", good(func(r *RawRequest) { r.InstanceIDs = []string{"INS-00000001"} }), "",
			CodeInstanceIDMalformed, []string{`"INS-00000001"`}, nil},
		{"too short", good(func(r *RawRequest) { r.InstanceIDs = []string{"ins-0000002"} }), "",
			CodeInstanceIDMalformed, []string{`"ins-0000002"`}, nil},
		{"blanks around", good(func(r *RawRequest) { r.InstanceIDs = []string{" ins-00000001"} }), "",
			CodeInstanceIDMalformed, []string{`" ins-00000001"`}, nil},
		{"empty id", good(func(r *RawRequest) { r.InstanceIDs = []string{""} }), "",
			CodeInstanceIDMalformed, []string{`""`}, nil},
		{"an absurd id is cut short", good(func(r *RawRequest) { r.InstanceIDs = []string{long} }), "",
			CodeInstanceIDMalformed, []string{`"` + long[:64] + `"… (504 bytes)`}, []string{long[:65]}},
		{"cut at a rune boundary", good(func(r *RawRequest) { r.InstanceIDs = []string{"a" + strings.Repeat("é", 100)} }), "",
			CodeInstanceIDMalformed, []string{`"a` + strings.Repeat("é", 31) + `"… (201 bytes)`}, []string{`\x`}},
		{"ProjectId absent", good(func(r *RawRequest) { r.ProjectID, r.HasProjectID = nil, false }), "",
			CodeMissingParameter, []string{"ProjectId is missing"}, nil},
		{"ProjectId negative", good(func(r *RawRequest) { r.ProjectID = ptr(-1) }), "",
			CodeInvalidParameterValue, []string{"ProjectId must be 0", "got -1"}, nil},
		{"Region missing in both", good(func(r *RawRequest) { r.Region = "" }), "",
			CodeMissingParameter, []string{"Region", "TENCENTCLOUD_REGION"}, nil},
		{"Region malformed", good(func(r *RawRequest) { r.Region = "Guangzhou" }), "ap-guangzhou",
			CodeInvalidParameterValue, []string{`Region "Guangzhou" is not a region name`}, []string{"TENCENTCLOUD_REGION"}},
		{"the default Region malformed", good(func(r *RawRequest) { r.Region = "" }), "ap_guangzhou",
			CodeInvalidParameterValue, []string{"Region (from TENCENTCLOUD_REGION)", `"ap_guangzhou"`}, nil},
		{"InstanceIds is checked first", RawRequest{ProjectID: ptr(-1), Region: "x"}, "",
			CodeMissingParameter, []string{"InstanceIds"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.raw, tt.defaultRegion, 0)
			require.NotNil(t, err)
			assert.Equal(t, Request{}, got)
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
		assert.Equal(t, idPattern.MatchString(id), validInstanceID(id), "%q", id)
	}
	regionCases := []string{"ap-guangzhou", "na-siliconvalley", "ap-shanghai-fsi", "eu-frankfurt", "a-guangzhou", "apx-guangzhou",
		"ap-", "ap--guangzhou", "ap-guangzhou-", "-ap-guangzhou", "ap", "AP-guangzhou", "ap-guangzhou1", "ap guangzhou",
		"ap-guang_zhou", "", "ap-shanghai-fsi-x", "ap-guangzhou\n"}
	for _, r := range regionCases {
		assert.Equal(t, regionPattern.MatchString(r), validRegion(r), "%q", r)
	}
	// Both kinds, so the comparison above cannot pass by always saying no.
	assert.True(t, validInstanceID("ins-00000001"))
	assert.False(t, validRegion("Guangzhou"))
}

func TestDedupe(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{nil, []string{}},
		{[]string{"b", "a", "b", "c", "a"}, []string{"b", "a", "c"}},
		{[]string{"a", "a", "a"}, []string{"a"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, dedupe(tt.in))
	}
}
