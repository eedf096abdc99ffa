package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler"
	"scf-cvm-project/internal/emulator"
)

// A local run reads the event from -event or standard input, invokes the
// handler once and prints the answer.
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
	}
	h := handler.NewFromEnv(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
	sample, err := os.ReadFile("events/direct.json")
	require.NoError(t, err)

	for name, run := range map[string]func(out *bytes.Buffer) error{
		"from a file": func(out *bytes.Buffer) error {
			return runLocal(h, []string{"-event", "events/direct.json"}, strings.NewReader(""), out)
		},
		"from standard input": func(out *bytes.Buffer) error { return runLocal(h, nil, bytes.NewReader(sample), out) },
		"from standard input -": func(out *bytes.Buffer) error {
			return runLocal(h, []string{"-event", "-"}, bytes.NewReader(sample), out)
		},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, run(&out))
			var a struct{ Code, RequestId string }
			require.NoError(t, json.Unmarshal(out.Bytes(), &a))
			assert.Equal(t, "Success", a.Code)
			assert.NotEmpty(t, a.RequestId)
		})
	}
	in, _ := emu.Instance("ins-00000003")
	assert.EqualValues(t, 1045, in.ProjectID)

	var out bytes.Buffer
	err = runLocal(h, []string{"-event", "events/no-such-file.json"}, strings.NewReader(""), &out)
	assert.ErrorContains(t, err, "no-such-file.json")
}

// The version set at link time wins; else the build's VCS information; else
// "dev".
func TestVersionOf(t *testing.T) {
	vcs := func(settings ...debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Settings: settings}
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "3552836a1b2c3d4e5f60718293a4b5c6d7e8f901"}
	for name, c := range map[string]struct {
		linked string
		info   *debug.BuildInfo
		want   string
	}{
		"linked":               {"v1.2.0-3-g3552836-dirty", vcs(rev), "v1.2.0-3-g3552836-dirty"},
		"revision":             {"", vcs(rev, debug.BuildSetting{Key: "vcs.modified", Value: "false"}), "3552836a1b2c"},
		"modified":             {"", vcs(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "3552836a1b2c-dirty"},
		"short revision":       {"", vcs(debug.BuildSetting{Key: "vcs.revision", Value: "3552836"}), "3552836"},
		"no VCS information":   {"", vcs(debug.BuildSetting{Key: "-trimpath", Value: "true"}), "dev"},
		"no build information": {"", nil, "dev"},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, c.want, versionOf(c.linked, c.info))
		})
	}
	assert.NotEmpty(t, buildVersion())
}

// A log line's time is in UTC, whatever the process's zone: the zone's
// file is never loaded for the log.
func TestUTCTime(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 12, 3, 22, 4, 5, 0, shanghai)
	tests := []struct {
		name   string
		groups []string
		in     slog.Attr
		want   slog.Attr
	}{
		{"the record's time", nil, slog.Time(slog.TimeKey, at), slog.Time(slog.TimeKey, at.UTC())},
		{"another attribute named time in a group", []string{"g"}, slog.Time(slog.TimeKey, at), slog.Time(slog.TimeKey, at)},
		{"another attribute", nil, slog.String("msg", "x"), slog.String("msg", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := utcTime(tt.groups, tt.in)
			assert.True(t, tt.want.Equal(got), "%v", got)
			if got.Value.Kind() == slog.KindTime && len(tt.groups) == 0 {
				assert.Equal(t, time.UTC, got.Value.Time().Location())
			}
		})
	}
}
