package emulator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// regionsAnswer is a decoded DescribeRegions answer.
type regionsAnswer struct {
	TotalCount int
	RegionSet  []RegionInfo
}

func (v *env) describeRegions(t *testing.T, region string) regionsAnswer {
	t.Helper()
	a := v.callTC3(t, permKey, PathAPI3, Service, ActionDescribeRegions, Version, region, `{}`)
	require.Empty(t, a.Code, a.Message)
	var body struct{ Response regionsAnswer }
	require.NoError(t, json.Unmarshal([]byte(a.Body), &body))
	return body.Response
}

// DescribeRegions lists the regions of the instances, or those set, with
// Region not required; instances spread over regions are listed each in
// its own.
func TestDescribeRegions(t *testing.T) {
	v := newEnv(t)
	v.e.AddInstances(InRegion("ap-shanghai", TaggedInstances("s", 1, 3, 0)...)...)
	v.e.AddInstances(InRegion("ap-guangzhou", TaggedInstances("g", 1, 2, 0)...)...)
	v.e.AddInstances(InRegion("eu-frankfurt", TaggedInstances("f", 1, 1, 0)...)...)

	got := v.describeRegions(t, "")
	assert.Equal(t, regionsAnswer{TotalCount: 3, RegionSet: []RegionInfo{
		{"ap-guangzhou", "South China (Guangzhou)", RegionAvailable},
		{"ap-shanghai", "ap-shanghai", RegionAvailable},
		{"eu-frankfurt", "eu-frankfurt", RegionAvailable},
	}}, got)

	v.e.SetRegions(RegionInfo{"ap-beijing", "North China (Beijing)", RegionAvailable})
	assert.Equal(t, regionsAnswer{TotalCount: 1, RegionSet: []RegionInfo{{"ap-beijing", "North China (Beijing)", RegionAvailable}}}, v.describeRegions(t, "ap-guangzhou"))
	v.e.SetRegions()
	assert.Equal(t, regionsAnswer{TotalCount: 0, RegionSet: []RegionInfo{}}, v.describeRegions(t, ""))

	for region, n := range map[string]int{"ap-shanghai": 3, "ap-guangzhou": 2, "eu-frankfurt": 1} {
		a := v.callTC3(t, permKey, PathAPI3, Service, ActionDescribe, Version, region, `{"Filters":[{"Name":"project-id","Values":["0"]}],"Limit":100}`)
		l := decodeListing(t, a)
		assert.Equal(t, n+3, l.TotalCount, "%s: its instances and the 3 of project 0 without a region", region)
	}

	a := v.callV1(t, permKey, PathAPI3, ActionDescribeRegions, Version, "", nil)
	assert.Empty(t, a.Code, "v1, no Region")
	assert.Contains(t, a.Body, `"RegionSet":[]`)
}

// FailRegion fails every CVM call of one region; the others answer.
func TestFailRegion(t *testing.T) {
	v := newEnv(t)
	v.e.AddInstances(InRegion("ap-shanghai", TaggedInstances("s", 1, 1, 0)...)...)
	v.e.FailRegion("ap-shanghai", CodeInternalServerError)
	body := `{"InstanceIds":["ins-s0000001"]}`
	assert.Equal(t, CodeInternalServerError, v.callTC3(t, permKey, PathAPI3, Service, ActionDescribe, Version, "ap-shanghai", body).Code)
	assert.Equal(t, CodeInternalServerError, v.callTC3(t, permKey, PathAPI3, Service, Action, Version, "ap-shanghai", `{"InstanceIds":["ins-s0000001"],"ProjectId":1}`).Code)
	assert.Empty(t, v.callTC3(t, permKey, PathAPI3, Service, ActionDescribe, Version, "ap-guangzhou", body).Code)
	assert.Empty(t, v.callTC3(t, permKey, PathAPI3, Service, ActionDescribeRegions, Version, "ap-shanghai", `{}`).Code, "DescribeRegions names no region")
	v.e.FailRegion("ap-shanghai", "")
	assert.Empty(t, v.callTC3(t, permKey, PathAPI3, Service, ActionDescribe, Version, "ap-shanghai", body).Code)
}

// An asynchronous Invoke is recorded with its event and answered at once
// with a FunctionRequestId and the other Result fields null; tests drain
// the invocations to deliver them as SCF would.
func TestInvokeEvent(t *testing.T) {
	v := newEnv(t)
	v.e.AddFunction("", "cvm-project")
	event := `{"Reconcile":true,"Regions":["ap-shanghai"]}`
	a := v.invoke(t, jsonBody(t, map[string]string{"FunctionName": "cvm-project", "InvocationType": "Event", "ClientContext": event}))
	require.Empty(t, a.Code, a.Message)
	var body struct {
		Response struct {
			Result    map[string]any
			RequestId string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(a.Body), &body))
	fid, _ := body.Response.Result["FunctionRequestId"].(string)
	assert.NotEmpty(t, fid)
	assert.Equal(t, map[string]any{"FunctionRequestId": fid, "Log": nil, "RetMsg": nil, "ErrMsg": nil, "MemUsage": nil, "Duration": nil, "BillDuration": nil}, body.Response.Result)

	want := Invocation{RequestID: a.RequestID, FunctionRequestID: fid, Region: "ap-guangzhou", Namespace: DefaultNamespace,
		FunctionName: "cvm-project", Qualifier: DefaultQualifier, InvocationType: InvocationEvent, ClientContext: event, SecretID: permKey.SecretID}
	assert.Equal(t, []Invocation{want}, v.e.Invocations())
	assert.Equal(t, []byte(event), v.e.Invocations()[0].Event())
	assert.Equal(t, []Invocation{want}, v.e.DrainInvocations())
	assert.Empty(t, v.e.DrainInvocations(), "drained")

	a = v.callV1(t, permKey, PathSCF, ActionInvoke, SCFVersion, "ap-shanghai", map[string]string{
		"FunctionName": "cvm-project", "InvocationType": "Event", "ClientContext": `{"n":2}`, "Namespace": "default", "Qualifier": "1",
	})
	require.Empty(t, a.Code, a.Message)
	drained := v.e.DrainInvocations()
	require.Len(t, drained, 1)
	assert.Equal(t, []string{"ap-shanghai", "1", `{"n":2}`}, []string{drained[0].Region, drained[0].Qualifier, drained[0].ClientContext})
	assert.Len(t, v.e.Invocations(), 2)

	calls := v.e.Calls()
	last := calls[len(calls)-1]
	assert.Equal(t, []string{EndpointSCF, ActionInvoke, "cvm-project", "Event", "default", "1", `{"n":2}`},
		[]string{last.Endpoint, last.Action, last.FunctionName, last.InvocationType, last.Namespace, last.Qualifier, last.ClientContext})
}

// Invoke's refusals; nothing is recorded as an invocation.
func TestInvokeRefusals(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		region string
		want   string
	}{
		{"unknown function", map[string]string{"FunctionName": "other", "InvocationType": "Event"}, "ap-guangzhou", CodeFunctionNotFound},
		{"another namespace", map[string]string{"FunctionName": "cvm-project", "InvocationType": "Event", "Namespace": "ops"}, "ap-guangzhou", CodeFunctionNotFound},
		{"no function name", map[string]string{"InvocationType": "Event"}, "ap-guangzhou", CodeMissingParameter},
		{"synchronous", map[string]string{"FunctionName": "cvm-project"}, "ap-guangzhou", CodeUnsupportedOperation},
		{"bad invocation type", map[string]string{"FunctionName": "cvm-project", "InvocationType": "Async"}, "ap-guangzhou", CodeInvokeInvocationType},
		{"not JSON", map[string]string{"FunctionName": "cvm-project", "InvocationType": "Event", "ClientContext": "{"}, "ap-guangzhou", CodeInvokeParam},
		{"over 128 KB", map[string]string{"FunctionName": "cvm-project", "InvocationType": "Event", "ClientContext": `"` + strings.Repeat("x", MaxEventContext) + `"`}, "ap-guangzhou", CodeInvokeClientContext},
		{"no region", map[string]string{"FunctionName": "cvm-project", "InvocationType": "Event"}, "", CodeMissingParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.e.AddFunction("default", "cvm-project")
			a := v.callTC3(t, permKey, PathSCF, SCFService, ActionInvoke, SCFVersion, tt.region, jsonBody(t, tt.params))
			assert.Equal(t, tt.want, a.Code, a.Message)
			assert.Empty(t, v.e.Invocations())
		})
	}
	v := newEnv(t)
	a := v.callTC3(t, permKey, PathSCF, TagService, ActionInvoke, SCFVersion, "ap-guangzhou", `{"FunctionName":"f","InvocationType":"Event"}`)
	assert.Equal(t, CodeSignatureFailure, a.Code, "a scope naming another service")
}

// Other paths are still refused, naming every endpoint.
func TestUnknownPathNamesTheEndpoints(t *testing.T) {
	v := newEnv(t)
	a := v.callTC3(t, permKey, "/other/", TagService, ActionDescribeProjects, TagVersion, "", `{}`)
	assert.Equal(t, CodeUnsupportedOperation, a.Code)
	assert.Contains(t, a.Message, PathTag)
	assert.Contains(t, a.Message, PathSCF)
}
