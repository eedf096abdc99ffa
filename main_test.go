package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler"
	"scf-cvm-project/internal/emulator"
)

// A local run reads the event from -event or standard input, invokes the
// handler once, prints the answer, and exits 0 for an answer that is not an
// error, 1 for an error answer, 2 for a wrong command line.
func TestRunLocal(t *testing.T) {
	emu := emulator.New()
	emu.AddKey(emulator.Key{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"})
	emu.AddInstances(emulator.Instance{ID: "ins-00000003"})
	base, stop, err := emu.Start()
	require.NoError(t, err)
	defer stop()
	env := map[string]string{
		"CVM_ENDPOINT":           base + "/v2/index.php",
		"TENCENTCLOUD_REGION":    "ap-guangzhou",
		"TENCENTCLOUD_SECRETID":  "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
		"TENCENTCLOUD_SECRETKEY": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
		"API_TOKEN":              "cvm-project-demo-token-EXAMPLE",
	}
	built := 0
	newHandler := func() *handler.Handler {
		built++
		return handler.NewFromEnv(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	}
	sample, err := os.ReadFile("events/direct.json")
	require.NoError(t, err)
	unauthenticated := `{"httpMethod":"POST","headers":{"content-type":"application/json"},"body":"{\"InstanceIds\":[\"ins-00000003\"],\"ProjectId\":7}","path":"/","queryString":{}}`

	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantStatus int
		wantCode   string // the answer's Code, or "" when no answer is printed
		wantStdout string // a part of standard output, when no answer is printed
		wantStderr string
	}{
		{name: "from a file", args: []string{"-event", "events/direct.json"}, wantStatus: 0, wantCode: "Success"},
		{name: "from standard input", stdin: string(sample), wantStatus: 0, wantCode: "Success"},
		{name: "from standard input -", args: []string{"-event", "-"}, stdin: string(sample), wantStatus: 0, wantCode: "Success"},
		{name: "a dry run is not an error", stdin: `{"InstanceIds":["ins-00000003"],"ProjectId":7,"DryRun":true}`, wantStatus: 0, wantCode: "DryRunOperation"},
		{name: "a refused request is an error", stdin: `{"InstanceIds":["ins-0000003"],"ProjectId":7}`, wantStatus: 1, wantCode: "InvalidInstanceId.Malformed"},
		{name: "an HTTP 401 is an error", stdin: unauthenticated, wantStatus: 1, wantStdout: `"statusCode":401`},
		{name: "an unreadable event", args: []string{"-event", "events/no-such-file.json"}, wantStatus: 1, wantStderr: "no-such-file.json"},
		{name: "-h says what the program does", args: []string{"-h"}, wantStatus: 0, wantStdout: "moves Tencent Cloud CVM instances into a project"},
		{name: "-help too", args: []string{"-help"}, wantStatus: 0, wantStdout: "Exit status"},
		{name: "-version", args: []string{"-version"}, wantStatus: 0, wantStdout: version + "\n"},
		{name: "an unknown argument is refused", args: []string{"help"}, wantStatus: 2, wantStderr: `unexpected argument "help"`},
		{name: "an argument after the flags is refused", args: []string{"-event", "events/direct.json", "extra"}, wantStatus: 2, wantStderr: "Usage:"},
		{name: "an unknown flag is refused", args: []string{"-evnet", "x"}, wantStatus: 2, wantStderr: "flag provided but not defined: -evnet"},
		{name: "a malformed duration is refused", args: []string{"-timeout", "soon"}, wantStatus: 2, wantStderr: "invalid value"},
		{name: "a time limit of 0 or less is refused", args: []string{"-timeout", "-5s"}, wantStatus: 2, wantStderr: "must be above 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := runLocal(newHandler, tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			assert.Equal(t, tt.wantStatus, status, "stderr: %s", stderr.String())
			if tt.wantCode != "" {
				var a struct{ Code, RequestId string }
				require.NoError(t, json.Unmarshal(stdout.Bytes(), &a), stdout.String())
				assert.Equal(t, tt.wantCode, a.Code)
				if a.Code == "Success" {
					assert.NotEmpty(t, a.RequestId, "the upstream RequestId")
				}
			}
			assert.Contains(t, stdout.String(), tt.wantStdout)
			assert.Contains(t, stderr.String(), tt.wantStderr)
			if tt.wantStatus == 2 {
				assert.Empty(t, stdout.String(), "a wrong command line answers nothing")
			}
		})
	}
	in, _ := emu.Instance("ins-00000003")
	assert.EqualValues(t, 1045, in.ProjectID)
	assert.Equal(t, 6, built, "only the runs that invoke build the handler")
}

// The version is the VERSION file's one line: what every build of a commit
// reports, whatever built it.
func TestVersion(t *testing.T) {
	b, err := os.ReadFile("VERSION")
	require.NoError(t, err)
	assert.Regexp(t, `^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\n$`, string(b), "one semantic version, one line")
	assert.Equal(t, strings.TrimSpace(string(b)), version)

	// No build sets another: the Makefile passes no -X main.version.
	mk, err := os.ReadFile("Makefile")
	require.NoError(t, err)
	assert.NotContains(t, string(mk), "main.version")
}

// A log line's time is in UTC, whatever the process's zone: main runs in a
// child process (this test's binary) with TZ set, and its first log line
// (a bad setting's) is read.
func TestLogTimeIsUTC(t *testing.T) {
	if os.Getenv("MAIN_TEST_RUN_MAIN") == "1" {
		os.Args = []string{"main", "-event", "events/direct.json"}
		main()
		return
	}
	if _, err := time.LoadLocation("Asia/Shanghai"); err != nil {
		t.Skip("no zone database to set another zone:", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLogTimeIsUTC$")
	cmd.Env = append(os.Environ(), "MAIN_TEST_RUN_MAIN=1", "TZ=Asia/Shanghai", "MAX_RETRIES=many", "_LAMBDA_SERVER_PORT=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "an InvalidConfig answer exits 1; stderr: %s", stderr.String())
	line, _, _ := strings.Cut(stderr.String(), "\n")
	var rec struct {
		Time time.Time
		Msg  string
	}
	require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
	assert.Equal(t, "invalid configuration", rec.Msg)
	assert.Regexp(t, `"time":"[^"]+Z"`, line)
	assert.WithinDuration(t, time.Now(), rec.Time, time.Minute)
}

// Under SCF the Handler is built beside the runtime's start: an invocation
// that comes before the build ends waits for it, or fails when its time runs
// out first; all get the one Handler built.
func TestAnInvocationWaitsForTheBuild(t *testing.T) {
	env := map[string]string{
		"CVM_ENDPOINT":           "http://127.0.0.1:9/v2/index.php", // a dry run sends nothing
		"TENCENTCLOUD_REGION":    "ap-guangzhou",
		"TENCENTCLOUD_SECRETID":  "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
		"TENCENTCLOUD_SECRETKEY": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
		"VERIFY":                 "false",
	}
	payload := []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1045,"DryRun":true}`)
	s := &starting{built: make(chan struct{})}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	out, err := s.Invoke(ctx, payload)
	require.ErrorIs(t, err, context.DeadlineExceeded, "its time ran out during the build")
	assert.Contains(t, err.Error(), "still reading its settings")
	assert.Nil(t, out)

	answers := make(chan string, 2)
	for range 2 {
		go func() {
			out, err := s.Invoke(context.Background(), payload)
			if err != nil {
				out = []byte(err.Error())
			}
			answers <- string(out)
		}()
	}
	select {
	case a := <-answers:
		t.Fatalf("answered before the Handler was built: %s", a)
	case <-time.After(50 * time.Millisecond):
	}
	s.h = handler.NewFromEnv(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	close(s.built)
	for range 2 {
		assert.Contains(t, <-answers, `"Code":"DryRunOperation"`)
	}
}
