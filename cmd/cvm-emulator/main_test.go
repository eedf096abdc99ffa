package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    options
		wantErr string
	}{
		{"defaults", nil, options{addr: "127.0.0.1:9000", region: "ap-guangzhou"}, ""},
		{"everything", []string{"-seed", "3", "-region", "ap-shanghai", "-security-groups", "sg-aaaa0001, sg-bbbb0002", "-fail-moves", "ins-00000002",
			"-rate-limits", "default", "-operation-duration", "5s", "-detach-security-groups"},
			options{addr: "127.0.0.1:9000", seed: 3, region: "ap-shanghai", securityGroups: []string{"sg-aaaa0001", "sg-bbbb0002"}, failMoves: []string{"ins-00000002"},
				rateLimits: emulator.DefaultRateLimits(), opDuration: 5 * time.Second, detach: true}, ""},
		{"limits by action", []string{"-rate-limits", "ModifyInstancesProject=2,DescribeInstances=5"},
			options{addr: "127.0.0.1:9000", region: "ap-guangzhou", rateLimits: map[string]int{"ModifyInstancesProject": 2, "DescribeInstances": 5}}, ""},
		{"projects and a function", []string{"-projects", "1045=prod, 1046=shared,1047=shared", "-function", "cvm-project"},
			options{addr: "127.0.0.1:9000", region: "ap-guangzhou", function: "cvm-project",
				projects: []emulator.Project{{ID: 1045, Name: "prod"}, {ID: 1046, Name: "shared"}, {ID: 1047, Name: "shared"}}}, ""},
		{"project without a name", []string{"-projects", "1045="}, options{}, "ID=name"},
		{"project not a number", []string{"-projects", "prod=1045"}, options{}, "ID=name"},
		{"limit of zero", []string{"-rate-limits", "ModifyInstancesProject=0"}, options{}, "Action=N"},
		{"limit not a number", []string{"-rate-limits", "ModifyInstancesProject=ten"}, options{}, "Action=N"},
		{"limit without action", []string{"-rate-limits", "=3"}, options{}, "Action=N"},
		{"negative duration", []string{"-operation-duration", "-1s"}, options{}, "-operation-duration"},
		{"stray argument", []string{"seed"}, options{}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExports(t *testing.T) {
	tests := []struct {
		name, region, source string
		key                  emulator.Key
		want                 []string
	}{
		{"example key", "ap-guangzhou", "example", emulator.ExampleKey(), []string{
			"# Point the function at this emulator: run these in the shell of `go run .`",
			"export CVM_ENDPOINT=http://127.0.0.1:9000/",
			"export TAG_ENDPOINT=http://127.0.0.1:9000/tag/",
			"export TENCENTCLOUD_REGION=ap-guangzhou",
			"export TENCENTCLOUD_SECRETID=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE TENCENTCLOUD_SECRETKEY=Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
			"unset TENCENTCLOUD_SESSIONTOKEN ROLE_ARN",
		}},
		{"key from the environment, no region", "", "environment", emulator.Key{SecretID: "AKIDmine", SecretKey: "secret-not-printed"}, []string{
			"# Point the function at this emulator: run these in the shell of `go run .`",
			"export CVM_ENDPOINT=http://127.0.0.1:9000/",
			"export TAG_ENDPOINT=http://127.0.0.1:9000/tag/",
			"export TENCENTCLOUD_REGION=ap-guangzhou",
			"# TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and TENCENTCLOUD_SESSIONTOKEN: keep those this emulator was started with",
			"unset ROLE_ARN",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := exports("http://127.0.0.1:9000", tt.region, tt.key, tt.source)
			assert.Equal(t, tt.want, got)
			for _, line := range got {
				assert.NotContains(t, line, "secret-not-printed")
			}
		})
	}
}
