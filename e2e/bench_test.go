package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/scfrpc"
)

// BenchmarkColdStart measures start to first answered Ping, as SCF sees a
// cold start, for the function and for a bare scf-go-lib function.
func BenchmarkColdStart(b *testing.B) {
	bare := filepath.Join(b.TempDir(), "bare")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bare, "./testdata/barefunction")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(b, err, "%s", out)

	binaries := []struct{ name, bin string }{{"bare", bare}, {"function", binary}}
	if other := os.Getenv("FUNCTION_BINARY"); other != "" {
		binaries = append(binaries, struct{ name, bin string }{"other", other})
	}
	for _, fn := range binaries {
		b.Run(fn.name, func(b *testing.B) {
			env := []string{"CVM_ENDPOINT=http://127.0.0.1:9/v2/index.php", "TENCENTCLOUD_REGION=ap-guangzhou"}
			for b.Loop() {
				p, err := scfrpc.Start(context.Background(), fn.bin, env)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				p.Stop()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkColdStartAlternating measures what SCF's cold start costs a
// caller, exec to the first answered invoke (a dry run: signed, never
// sent), for the bare scf-go-lib function, the function as make build
// builds it (stripped, -trimpath) and each name=path of COLDSTART_BINARIES
// (comma-separated, e.g. a build of another commit): one start of each per
// op, in an order that rotates, so that a loaded machine weighs on all
// alike. It reports each one's ms and its ratio to the bare function's
// (×bare), and for each of COLDSTART_BINARIES the function's ratio to it.
//
// Every binary is first copied into the benchmark's folder, so that all
// are written alike, as SCF writes a code package it unpacks: how a file
// came into the page cache (the linker writes through mmap, cp and unzip
// with write, a cold read through readahead) moved one binary's start by
// 6–10% against a copy of itself on this bench's machine.
//
//	COLDSTART_BINARIES=before=/tmp/main.before go test -run '^$' -bench ColdStartAlternating -benchtime 300x ./e2e/
func BenchmarkColdStartAlternating(b *testing.B) {
	dir := b.TempDir()
	build := func(name, pkg string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		msg, err := cmd.CombinedOutput()
		require.NoError(b, err, "%s", msg)
		return out
	}
	type bin struct {
		name, path string
		took       time.Duration
	}
	bins := []*bin{{name: "bare", path: build("bare", "./testdata/barefunction")}, {name: "function", path: build("function", "..")}}
	for _, nv := range strings.Split(os.Getenv("COLDSTART_BINARIES"), ",") {
		if name, path, ok := strings.Cut(nv, "="); ok {
			bins = append(bins, &bin{name: name, path: path})
		}
	}
	for _, bn := range bins {
		bn.path = copyExecutable(b, bn.path, filepath.Join(dir, "copy-"+bn.name))
	}
	env := []string{"CVM_ENDPOINT=http://127.0.0.1:9/v2/index.php", "TENCENTCLOUD_REGION=ap-guangzhou", "METADATA_ENDPOINT=http://127.0.0.1:9", "VERIFY=false"}
	inv := scfrpc.Invocation{Env: map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": secretKey}}
	payload := []byte(`{"InstanceIds":["ins-00000001"],"ProjectId":1045,"DryRun":true}`)
	n := 0
	for b.Loop() {
		for i := range bins {
			bn := bins[(i+n)%len(bins)]
			start := time.Now()
			p, err := scfrpc.Start(context.Background(), bn.path, env)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Invoke(payload, inv); err != nil {
				b.Fatalf("%s: %v", bn.name, err)
			}
			bn.took += time.Since(start)
			b.StopTimer()
			p.Stop()
			b.StartTimer()
		}
		n++
	}
	for _, bn := range bins {
		b.ReportMetric(bn.took.Seconds()*1e3/float64(n), bn.name+"-ms")
		if bn != bins[0] {
			b.ReportMetric(bn.took.Seconds()/bins[0].took.Seconds(), bn.name+"-×bare")
		}
		if len(bins) > 2 && bn != bins[0] && bn != bins[1] {
			b.ReportMetric(bins[1].took.Seconds()/bn.took.Seconds(), "function-×"+bn.name)
		}
	}
}

// copyExecutable writes a copy of the executable at from to to, with write
// calls of 1 MiB, and returns to.
func copyExecutable(b *testing.B, from, to string) string {
	b.Helper()
	src, err := os.Open(from)
	require.NoError(b, err)
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	require.NoError(b, err)
	_, err = io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, make([]byte, 1<<20)) // neither ReadFrom nor WriteTo: no copy_file_range, no splice
	require.NoError(b, dst.Close())
	require.NoError(b, err)
	return to
}

// BenchmarkWarmInvocation measures what one warm invocation moving 100
// instances costs the function's process in CPU time (user + system, from
// /proc), against the emulator on loopback: the cpu-µs/op metric.
//
// FUNCTION_BINARY runs the same benchmark against another build of the job
// (e.g. one written with the official SDK), which gets the emulator's
// address in CVM_ENDPOINT_HOST and the payload {"InstanceIds":[...],"ProjectId":N,"Region":"..."}.
func BenchmarkWarmInvocation(b *testing.B) {
	bin := binary
	if other := os.Getenv("FUNCTION_BINARY"); other != "" {
		bin = other
	}
	for _, method := range []string{"HmacSHA256", "TC3-HMAC-SHA256"} {
		b.Run(method, func(b *testing.B) {
			c := newCloud(b)
			path := "/v2/index.php"
			if method == "TC3-HMAC-SHA256" {
				path = "/"
			}
			p, err := scfrpc.Start(context.Background(), bin, []string{
				"CVM_ENDPOINT=" + c.base + path, "SIGNATURE_METHOD=" + method, "TENCENTCLOUD_REGION=ap-guangzhou",
				"CVM_ENDPOINT_HOST=" + strings.TrimPrefix(c.base, "http://"),
				// RATE_LIMIT paces consecutive invocations too (10 a second by
				// default): off, the benchmark measures work, not waiting.
				"RATE_LIMIT=0",
			})
			require.NoError(b, err)
			defer p.Stop()
			env := map[string]string{"TENCENTCLOUD_SECRETID": secretID, "TENCENTCLOUD_SECRETKEY": secretKey}
			payload := []byte(`{"InstanceIds":["` + strings.Join(ids(1, 100), `","`) + `"],"ProjectId":1045,"Region":"ap-guangzhou"}`)
			answer, err := p.Invoke(payload, scfrpc.Invocation{Env: env})
			require.NoError(b, err)
			require.Contains(b, string(answer), "Success")

			before := cpuTime(b, p.PID())
			for b.Loop() {
				if _, err := p.Invoke(payload, scfrpc.Invocation{Env: env}); err != nil {
					b.Fatal(err)
				}
			}
			used := cpuTime(b, p.PID()) - before
			b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime reads a process's user + system CPU time from /proc/PID/stat.
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(b, err)
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	require.NoError(b, err)
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	require.NoError(b, err)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}
