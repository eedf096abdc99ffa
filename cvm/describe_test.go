package cvm

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

func strptr(s string) *string { return &s }

// The v1 form flattens Filters.N.Name and Filters.N.Values.M with the
// endpoint's index base; TC3 sends the same parameters as JSON.
func TestDescribeInstancesParameters(t *testing.T) {
	action := DescribeInstances{
		Filters: []Filter{{Name: "tag:env", Values: []string{"prod", "staging"}}, {Name: "project-id", Values: []string{"0"}}},
		Offset:  200, Limit: 100,
	}
	tests := []struct {
		endpoint string
		want     url.Values // the action's own parameters
	}{
		{LegacyEndpoint, url.Values{
			"Filters.1.Name": {"tag:env"}, "Filters.1.Values.1": {"prod"}, "Filters.1.Values.2": {"staging"},
			"Filters.2.Name": {"project-id"}, "Filters.2.Values.1": {"0"},
			"Offset": {"200"}, "Limit": {"100"},
		}},
		{API3Endpoint, url.Values{
			"Filters.0.Name": {"tag:env"}, "Filters.0.Values.0": {"prod"}, "Filters.0.Values.1": {"staging"},
			"Filters.1.Name": {"project-id"}, "Filters.1.Values.0": {"0"},
			"Offset": {"200"}, "Limit": {"100"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			var form url.Values
			c := newTestClient(t, tt.endpoint, signer.HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
				b, _ := io.ReadAll(r.Body)
				form, _ = url.ParseQuery(string(b))
				return answerWith(200, "application/json", `{"Response":{"TotalCount":0,"InstanceSet":[],"RequestId":"r"}}`)(r)
			}))
			_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", action, nil)
			require.NoError(t, err)
			assert.Equal(t, "DescribeInstances", form.Get("Action"))
			for _, common := range []string{"Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod", "Signature"} {
				form.Del(common)
			}
			assert.Equal(t, tt.want, form)
		})
	}

	t.Run("TC3", func(t *testing.T) {
		var body []byte
		c := newTestClient(t, API3Endpoint, signer.TC3HmacSHA256, doerFunc(func(r *http.Request) (*http.Response, error) {
			body, _ = io.ReadAll(r.Body)
			return answerWith(200, "application/json", `{"Response":{"TotalCount":0,"InstanceSet":[],"RequestId":"r"}}`)(r)
		}))
		_, err := c.Call(context.Background(), exampleCreds, "ap-guangzhou", action, nil)
		require.NoError(t, err)
		assert.JSONEq(t, `{"Filters":[{"Name":"tag:env","Values":["prod","staging"]},{"Name":"project-id","Values":["0"]}],"Offset":200,"Limit":100}`, string(body))

		_, err = c.Call(context.Background(), exampleCreds, "ap-guangzhou", DescribeInstances{InstanceIds: []string{"ins-r8hr2upy"}, Limit: 100}, nil)
		require.NoError(t, err)
		assert.JSONEq(t, `{"InstanceIds":["ins-r8hr2upy"],"Offset":0,"Limit":100}`, string(body))
	})
}

func TestTagFilter(t *testing.T) {
	assert.Equal(t, Filter{Name: "tag:env", Values: []string{"prod"}}, TagFilter("env", strptr("prod")))
	assert.Equal(t, Filter{Name: "tag:env", Values: []string{""}}, TagFilter("env", strptr("")))
	assert.Equal(t, Filter{Name: "tag-key", Values: []string{"team"}}, TagFilter("team", nil))
}

func TestDescribeInstancesSize(t *testing.T) {
	assert.Equal(t, 2, DescribeInstances{InstanceIds: []string{"ins-a", "ins-b"}, Limit: 100}.Size())
	assert.Equal(t, 100, DescribeInstances{Filters: []Filter{TagFilter("env", nil)}, Limit: 100}.Size())
}
