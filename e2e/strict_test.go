package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
)

// urlEvent is events/function-url.json with fields replaced.
func urlEvent(t *testing.T, fields map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(sample(t, "function-url.json"), &ev))
	for k, v := range fields {
		ev[k] = v
	}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

func timerWith(t *testing.T, message string) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(sample(t, "timer.json"), &ev))
	ev["Message"] = message
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

// A key the function does not know is refused with UnknownParameter, naming
// it and the nearest known key, and nothing is sent: a misspelt DryRun
// would otherwise be a real move.
func TestUnknownKeysAreRefusedWithoutACall(t *testing.T) {
	t.Parallel()
	const snake = `{"InstanceIds":["ins-00000005"],"ProjectId":1045,"dry_run":true}`
	const typo = `{"InstanceIds":["ins-00000005"],"ProjectId":1045,"DryRunn":true}`
	tests := []struct {
		name, key, nearest string
		payload            []byte
		status             int
	}{
		{"a direct invoke with dry_run", "dry_run", "DryRun", []byte(snake), 0},
		{"a direct invoke with DryRunn", "DryRunn", "DryRun", []byte(typo), 0},
		{"a function URL's JSON body", "dry_run", "DryRun", urlEvent(t, map[string]any{"body": snake}), http.StatusBadRequest},
		{"a function URL's base64 body", "DryRunn", "DryRun", urlEvent(t, map[string]any{"body": base64.StdEncoding.EncodeToString([]byte(typo)), "isBase64Encoded": true}), http.StatusBadRequest},
		{"a function URL's form", "dryrun_", "DryRun", urlEvent(t, map[string]any{"body": "InstanceIds=ins-00000005&ProjectId=1045&dryrun_=true",
			"headers": map[string]string{"authorization": "Bearer " + apiToken, "content-type": "application/x-www-form-urlencoded"}}), http.StatusBadRequest},
		{"an API Gateway query", "Dry-Run", "DryRun", apigwWith(t, map[string]any{"body": nil, "httpMethod": "GET",
			"queryString": map[string]any{"InstanceIds": "ins-00000005", "ProjectId": "1045", "Dry-Run": "true"}}), http.StatusBadRequest},
		{"a timer's JSON Message", "dry_run", "DryRun", timerWith(t, snake), 0},
		{"a timer's query Message", "DryRunn", "DryRun", timerWith(t, "InstanceIds=ins-00000005&ProjectId=1045&DryRunn=true"), 0},
		{"a rule's misspelt Value", "Valeu", "Value", []byte(`{"InstanceIds":["ins-00000005"],"Rules":[{"Tag":{"Key":"env","Valeu":"prod"},"ProjectId":1045}]}`), 0},
	}
	c := newCloud(t)
	fn := startFunction(t, c)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, status := fn.invoke(t, tt.payload, c)
			assert.Equal(t, "UnknownParameter", a.Code, a.Message)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, a.Message, `"`+tt.key+`"`)
			assert.Contains(t, a.Message, `did you mean "`+tt.nearest+`"?`)
		})
	}
	assert.Empty(t, c.Calls(), "nothing was sent")
	assert.Zero(t, c.project(t, "ins-00000005"))
}

// A request that starts with a UTF-8 byte-order mark, as PowerShell 5.1
// writes a file, is read as if it had none, wherever it comes from
// (testdata/04-json-utf8-bom.json: a dry run of ins-00000001 into 1045).
func TestAByteOrderMarkIsIgnored(t *testing.T) {
	t.Parallel()
	file, err := os.ReadFile(filepath.Join("testdata", "04-json-utf8-bom.json"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(file), "\ufeff"), "the case starts with a byte-order mark")
	tests := []struct {
		name    string
		payload []byte
		status  int
	}{
		{"a function URL's body", urlEvent(t, map[string]any{"body": string(file)}), http.StatusOK},
		{"a function URL's base64 body", urlEvent(t, map[string]any{"body": base64.StdEncoding.EncodeToString(file), "isBase64Encoded": true}), http.StatusOK},
		{"an API Gateway body", apigwPayload(t, file), http.StatusOK},
		{"a direct invoke", file, 0},
		{"a timer's Message", timerWith(t, string(file)), 0},
	}
	c := newCloud(t)
	fn := startFunction(t, c)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, status := fn.invoke(t, tt.payload, c)
			assert.Equal(t, "DryRunOperation", a.Code, a.Message)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, []string{"ins-00000001"}, a.InstanceIds)
		})
	}
	assert.Empty(t, c.writes(), "a dry run sends no write")
}

// The function URL's caller address, which SCF gives in x-scf-remote-addr
// (its event has no requestContext), is logged as source_ip.
func TestTheFunctionURLsCallerAddressIsLogged(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	payload := httpEvent(t, "function-url.json", "", map[string]*string{"authorization": str("Bearer wrong-token-0123456789abcdef"), "x-scf-remote-addr": str("198.51.100.77")})
	a, status := fn.invoke(t, payload, c)
	assert.Equal(t, "Unauthenticated", a.Code)
	assert.Equal(t, http.StatusUnauthorized, status)
	lines := logLines(t, fn, "HTTP request refused", 1)
	require.Len(t, lines, 1, fn.Output())
	refused := lines[0]
	assert.Equal(t, "198.51.100.77", refused["source_ip"])
	assert.Equal(t, "url", refused["event"])
}

// An upstream that resets the connection is told to an HTTP caller in
// words; the function's own socket address (read tcp 127.0.0.1:N->…) is
// only in the log, on the client's line of each attempt.
func TestAResetIsToldInWordsWithoutSocketAddresses(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	c.Script(repeat(emulator.Fault{Kind: emulator.FaultReset}, 4)...)
	fn := startFunction(t, c, moveOnly, "MAX_RETRIES=1")
	a, status := fn.invoke(t, apigwPayload(t, directPayload(t, []string{"ins-00000001"}, 1045)), c)
	assert.Equal(t, "InternalError.UpstreamUnreachable", a.Code, a.Message)
	assert.Equal(t, http.StatusBadGateway, status)
	require.Len(t, a.Batches, 1)
	for _, m := range []string{a.Message, a.Batches[0].Message} {
		assert.Regexp(t, `the connection was (reset|closed) before`, m)
		assert.NotContains(t, m, "->", "no socket address")
		assert.NotRegexp(t, `127\.0\.0\.1:\d+`, strings.ReplaceAll(m, strings.TrimPrefix(c.base, "http://"), "<endpoint>"),
			"no address but the configured endpoint's")
	}
	attempts := logLines(t, fn, "upstream call", 2)
	require.Len(t, attempts, 2, "one line per attempt")
	assert.Regexp(t, `reset by peer|EOF`, attempts[0]["error"], "the detail is in the log")
}

// A JSON request that gives a key twice with different values moves
// nothing, whatever the trigger: a dry run must not become a real move.
func TestTwinKeysWithDifferentValuesMoveNothing(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	fn := startFunction(t, c)
	body := []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1045,"DryRun":true,"dryrun":false}`)
	for _, payload := range [][]byte{body, apigwPayload(t, body)} {
		a, _ := fn.invoke(t, payload, c)
		assert.Equal(t, "InvalidParameterValue", a.Code, a.Message)
	}
	assert.Empty(t, c.Calls(), "no upstream call")
}
