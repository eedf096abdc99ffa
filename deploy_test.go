package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// serverless.yml deploys what SCF accepts today: no variable with a name
// SCF reserves, the function URL (an http event) and no API Gateway
// trigger, API 3.0 with TC3, and the timer shipped disabled.
func TestServerlessYAML(t *testing.T) {
	b, err := os.ReadFile("serverless.yml")
	require.NoError(t, err)
	var doc struct {
		Component string
		Inputs    struct {
			Runtime     string
			Handler     string
			MemorySize  int `yaml:"memorySize"`
			Environment struct{ Variables map[string]string }
			Events      []map[string]struct {
				Name       string
				Parameters map[string]any
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	assert.Equal(t, "scf", doc.Component)
	assert.Equal(t, "Go1", doc.Inputs.Runtime)
	assert.Equal(t, 256, doc.Inputs.MemorySize, "the memory make deploy gives the function too (cmd/deploy MemorySize)")
	for name := range doc.Inputs.Environment.Variables {
		for _, reserved := range []string{"SCF_", "QCLOUD_", "TENCENTCLOUD_"} {
			assert.False(t, strings.HasPrefix(name, reserved), "%s is reserved by SCF", name)
		}
	}
	if v, ok := doc.Inputs.Environment.Variables["CVM_ENDPOINT"]; ok {
		assert.Equal(t, "https://cvm.tencentcloudapi.com/", v)
	}
	if v, ok := doc.Inputs.Environment.Variables["SIGNATURE_METHOD"]; ok {
		assert.Equal(t, "TC3-HMAC-SHA256", v)
	}
	kinds := map[string]int{}
	for _, ev := range doc.Inputs.Events {
		for kind, e := range ev {
			kinds[kind]++
			if kind == "timer" {
				assert.Equal(t, false, e.Parameters["enable"], "the timer is shipped disabled")
			}
			if kind == "http" {
				assert.Contains(t, []any{"NONE", "CAM"}, e.Parameters["authType"])
			}
		}
	}
	assert.Equal(t, 1, kinds["http"], "the function URL")
	assert.Zero(t, kinds["apigw"], "SCF no longer creates API Gateway triggers")

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "scf deploy")
	assert.NotContains(t, string(readme), "sls deploy")
}
