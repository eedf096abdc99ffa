package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTccli is a tccli that logs its arguments (and the file a
// --cli-input-json names) and answers as tccli does: the Response on
// standard output, or an SDK exception and status 1 for GetRole.
const fakeTccli = `#!/bin/sh
echo "$*" >> "$LOG"
for a in "$@"; do case "$a" in file://*) cat "${a#file://}" >> "$LOG";; esac; done
case "$2" in
GetRole) echo "[TencentCloudSDKException] code:ResourceNotFound.RoleNotExist message:role not exist requestId:5e1c" >&2; exit 1;;
Broken) echo "Traceback: something else" >&2; exit 1;;
esac
echo '{"RequestId": "5e1c"}'
`

func TestTheRunnerCallsTccli(t *testing.T) {
	dir := t.TempDir()
	bin, log := filepath.Join(dir, "tccli"), filepath.Join(dir, "log")
	require.NoError(t, os.WriteFile(bin, []byte(fakeTccli), 0o755))
	t.Setenv("LOG", log)
	var out bytes.Buffer
	r := &tccliRunner{command: bin, out: &out}
	ctx := context.Background()

	tests := []struct {
		name    string
		c       call
		wantErr string
		wantLog string
	}{
		{"flags, values by type", call{"scf", "CreateTrigger", map[string]any{"FunctionName": "f", "Enable": "CLOSE", "Limit": 100}},
			"", "scf CreateTrigger --region ap-guangzhou --Enable CLOSE --FunctionName f --Limit 100\n"},
		{"a code package goes in a file", call{"scf", "UpdateFunctionCode", map[string]any{"FunctionName": "f", "ZipFile": "UEsDBA=="}},
			"", `"ZipFile":"UEsDBA=="`},
		{"a refusal is an apiError", call{"cam", "GetRole", map[string]any{"RoleName": "r"}}, "ResourceNotFound.RoleNotExist: role not exist", ""},
		{"another failure says what tccli said", call{"cam", "Broken", nil}, "Traceback: something else", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = os.Remove(log)
			_, err := r.do(ctx, "ap-guangzhou", tt.c)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			b, _ := os.ReadFile(log)
			assert.Contains(t, string(b), tt.wantLog)
		})
	}
	assert.True(t, notFound(func() error { _, err := r.do(ctx, "ap-guangzhou", call{"cam", "GetRole", nil}); return err }()))
	assert.Contains(t, out.String(), "+ tccli scf UpdateFunctionCode --region ap-guangzhou --FunctionName f --ZipFile '<base64 of the code package>'\n",
		"printed before it is made, without the package")
	assert.False(t, strings.Contains(out.String(), "UEsDBA=="))
}
