package emulator

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// setIDs replaces the InstanceIds.N of p with ids, numbered from 0.
func setIDs(ids ...string) func(map[string]string) {
	return func(p map[string]string) {
		for k := range p {
			if strings.HasPrefix(k, "InstanceIds") {
				delete(p, k)
			}
		}
		for i, id := range ids {
			p["InstanceIds."+itoa(i)] = id
		}
	}
}

func set(name, value string) func(map[string]string) {
	return func(p map[string]string) { p[name] = value }
}

func del(name string) func(map[string]string) {
	return func(p map[string]string) { delete(p, name) }
}

func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "ins-aaaa0001"
	}
	return ids
}

// Every refused request leaves the table as it was.
func TestV1ModifyRefused(t *testing.T) {
	tests := []struct {
		name string
		edit func(map[string]string)
		want string
		msg  string
	}{
		{"other action", set("Action", "StopInstances"), CodeInvalidAction, "StopInstances"},
		{"no action", del("Action"), CodeInvalidAction, "no action"},
		{"other version", set("Version", "2018-01-01"), CodeNoSuchVersion, "2018-01-01"},
		{"no Nonce", del("Nonce"), CodeMissingParameter, "`Nonce`"},
		{"no IDs", setIDs(), CodeMissingParameter, "`InstanceIds`"},
		{"101 IDs", setIDs(manyIDs(101)...), CodeLimitExceeded, "101"},
		{"malformed ID", setIDs("ins-aaaa0001", "ins-AAAA0002", "bad"), CodeMalformed, `"ins-AAAA0002"`},
		{"ID too long", setIDs("ins-aaaa00011"), CodeMalformed, `"ins-aaaa00011"`},
		{"malformed before unknown", setIDs("ins-zzzz0001", "i-aaaa0001"), CodeMalformed, `"i-aaaa0001"`},
		{"InstanceIds without index", set("InstanceIds", "ins-aaaa0003"), CodeInvalidParameter, "InstanceIds.N"},
		{"index not a number", set("InstanceIds.x", "ins-aaaa0003"), CodeInvalidParameter, "InstanceIds.x"},
		{"negative index", set("InstanceIds.-1", "ins-aaaa0003"), CodeInvalidParameter, "InstanceIds.-1"},
		{"same index twice", set("InstanceIds_1", "ins-aaaa0003"), CodeInvalidParameter, "same index 1"},
		{"no ProjectId", del("ProjectId"), CodeMissingParameter, "`ProjectId`"},
		{"ProjectId negative", set("ProjectId", "-1"), CodeInvalidParameterValue, `"-1"`},
		{"ProjectId not a number", set("ProjectId", "abc"), CodeInvalidParameterValue, `"abc"`},
		{"ProjectId empty", set("ProjectId", ""), CodeInvalidParameterValue, `""`},
		{"ProjectId too large", set("ProjectId", "9223372036854775808"), CodeInvalidParameterValue, "9223372036854775808"},
		{"unknown IDs", setIDs("ins-aaaa0001", "ins-zzzz0001", "ins-zzzz0002", "ins-zzzz0001"), CodeNotFound,
			`The instance ID ["ins-zzzz0001","ins-zzzz0002"] does not exist.`},
		{"load balanced", setIDs("ins-aaaa0001", "ins-lb000001"), CodeNotSupported, `["ins-lb000001"]`},
		{"unknown before load balanced", setIDs("ins-lb000001", "ins-zzzz0001"), CodeNotFound, `["ins-zzzz0001"]`},
	}
	for _, path := range []string{PathAPI3, PathLegacy} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				v := newEnv(t)
				a := v.postV1(t, path, permKey, tt.edit)
				assertRefused(t, v, a, tt.want)
				assert.Contains(t, a.Message, tt.msg)
				assert.False(t, a.Old, "Version is sent")
			})
		}
	}
}

// API 3.0 needs a Region and a Version; the legacy endpoint needs neither.
func TestRegionAndVersionPerEndpoint(t *testing.T) {
	tests := []struct {
		name string
		path string
		edit func(map[string]string)
		want string
	}{
		{"api3 without Region", PathAPI3, del("Region"), CodeMissingParameter},
		{"api3 with an empty Region", PathAPI3, set("Region", ""), CodeMissingParameter},
		{"api3 without Version", PathAPI3, del("Version"), CodeNoSuchVersion},
		{"legacy without Region", PathLegacy, del("Region"), ""},
		{"legacy without Version", PathLegacy, del("Version"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			a := v.postV1(t, tt.path, permKey, tt.edit)
			assert.Equal(t, tt.want, a.Code, a.Message)
			if tt.want == CodeMissingParameter {
				assert.Contains(t, a.Message, "`Region`")
			}
		})
	}
}

func TestTC3ModifyRefused(t *testing.T) {
	header := func(name, value string) func(*tc3Msg) {
		return func(m *tc3Msg) {
			if value == "" {
				m.header.Del(name)
			} else {
				m.header.Set(name, value)
			}
		}
	}
	tests := []struct {
		name   string
		body   string
		before func(*tc3Msg)
		want   string
		msg    string
	}{
		{"other action", defaultTC3Body, header("X-TC-Action", "StopInstances"), CodeInvalidAction, "StopInstances"},
		{"other version", defaultTC3Body, header("X-TC-Version", "2017-03-13"), CodeNoSuchVersion, "2017-03-13"},
		{"no version", defaultTC3Body, header("X-TC-Version", ""), CodeNoSuchVersion, "no version"},
		{"no region", defaultTC3Body, header("X-TC-Region", ""), CodeMissingParameter, "`Region`"},
		{"empty body", ``, nil, CodeMissingParameter, "`InstanceIds`"},
		{"not JSON", `InstanceIds=ins-aaaa0001`, nil, CodeInvalidParameter, "JSON"},
		{"empty InstanceIds", `{"InstanceIds":[],"ProjectId":1}`, nil, CodeMissingParameter, "`InstanceIds`"},
		{"InstanceIds a string", `{"InstanceIds":"ins-aaaa0001","ProjectId":1}`, nil, CodeInvalidParameterValue, "a string"},
		{"InstanceIds holds a number", `{"InstanceIds":["ins-aaaa0001",2],"ProjectId":1}`, nil, CodeInvalidParameterValue, "item 1"},
		{"names are case-sensitive", `{"instanceIds":["ins-aaaa0001"],"ProjectId":1}`, nil, CodeMissingParameter, "`InstanceIds`"},
		{"101 IDs", `{"InstanceIds":["` + strings.Join(manyIDs(101), `","`) + `"],"ProjectId":1}`, nil, CodeLimitExceeded, "101"},
		{"malformed", `{"InstanceIds":["ins-aaaa0001","ins-aaaa000"],"ProjectId":1}`, nil, CodeMalformed, `"ins-aaaa000"`},
		{"no ProjectId", `{"InstanceIds":["ins-aaaa0001"]}`, nil, CodeMissingParameter, "`ProjectId`"},
		{"null ProjectId", `{"InstanceIds":["ins-aaaa0001"],"ProjectId":null}`, nil, CodeMissingParameter, "`ProjectId`"},
		{"ProjectId a string", `{"InstanceIds":["ins-aaaa0001"],"ProjectId":"1045"}`, nil, CodeInvalidParameterValue, "ProjectId"},
		{"ProjectId negative", `{"InstanceIds":["ins-aaaa0001"],"ProjectId":-5}`, nil, CodeInvalidParameterValue, `"-5"`},
		{"ProjectId fractional", `{"InstanceIds":["ins-aaaa0001"],"ProjectId":1.5}`, nil, CodeInvalidParameterValue, `"1.5"`},
		{"unknown", `{"InstanceIds":["ins-aaaa0001","ins-zzzz0009"],"ProjectId":1}`, nil, CodeNotFound, `The instance ID ["ins-zzzz0009"] does not exist.`},
		{"load balanced", `{"InstanceIds":["ins-lb000001","ins-aaaa0001"],"ProjectId":1}`, nil, CodeNotSupported, `["ins-lb000001"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			a := v.postTC3(t, permKey, tt.body, func(m *tc3Msg) {
				if tt.before != nil {
					tt.before(m)
				}
			}, nil)
			assertRefused(t, v, a, tt.want)
			assert.Contains(t, a.Message, tt.msg)
		})
	}
}

// The call records what was sent even when refused.
func TestRefusedCallRecordsWhatWasSent(t *testing.T) {
	v := newEnv(t)
	a := v.postTC3(t, permKey, `{"InstanceIds":["ins-zzzz0001","ins-aaaa0001"],"ProjectId":"7"}`, nil, nil)
	assert.Equal(t, CodeInvalidParameterValue, a.Code)
	calls := v.e.Calls()
	if assert.Len(t, calls, 1) {
		assert.Equal(t, []string{"ins-zzzz0001", "ins-aaaa0001"}, calls[0].InstanceIDs)
		assert.Equal(t, `"7"`, calls[0].ProjectID, "as sent: a JSON string keeps its quotes")
		assert.Equal(t, CodeInvalidParameterValue, calls[0].Code)
	}

	a = v.sendV1(t, http.MethodPost, PathAPI3, map[string]string{"Action": "ModifyInstancesProject", "InstanceIds.0": "ins-aaaa0001"})
	assert.Equal(t, CodeSignatureFailure, a.Code)
	calls = v.e.Calls()
	if assert.Len(t, calls, 2) {
		assert.Equal(t, Call{Endpoint: EndpointAPI3, SignatureMethod: "HmacSHA1", Action: Action,
			InstanceIDs: []string{"ins-aaaa0001"}, Code: CodeSignatureFailure, RequestID: a.RequestID}, calls[1])
	}
}
