// Command main is the SCF function that moves CVM instances into a project.
//
// Under SCF (when _LAMBDA_SERVER_PORT is set) it serves invocations through
// scf-go-lib. Otherwise it runs once locally: the event comes from -event
// (a file) or standard input, and the answer goes to standard output.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/functioncontext"

	"scf-cvm-project/handler"
	"scf-cvm-project/handler/config"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: utcTime}))
	handler.Version = buildVersion()
	// The settings are the environment at start overlaid with each
	// invocation's: the runtime's os.Setenv never unsets a variable.
	h := handler.NewFromEnv(config.AtStart(os.Environ()), logger)
	if os.Getenv("_LAMBDA_SERVER_PORT") != "" {
		cloudfunction.StartHandler(h)
		return
	}
	if err := runLocal(h, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "main:", err)
		os.Exit(2)
	}
}

// utcTime writes a log line's time in UTC, alike in every region: in the
// local zone, the first line of every cold start would load the zone's
// file (/etc/localtime), 40 to 90 µs before the first answer.
func utcTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
		a.Value = slog.TimeValue(a.Value.Time().UTC())
	}
	return a
}

// runLocal invokes h once with an event, as SCF would, with a deadline.
func runLocal(h *handler.Handler, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("main", flag.ContinueOnError)
	eventPath := fs.String("event", "", "`file` holding the event JSON (default: standard input)")
	timeout := fs.Duration("timeout", 30*time.Second, "the invocation's time limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var payload []byte
	var err error
	if *eventPath == "" || *eventPath == "-" {
		payload, err = io.ReadAll(stdin)
	} else {
		payload, err = os.ReadFile(*eventPath)
	}
	if err != nil {
		return fmt.Errorf("reading the event: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx = functioncontext.NewContext(ctx, &functioncontext.FunctionContext{RequestID: "local-" + randomHex(8)})
	answer, err := h.Invoke(ctx, payload)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", answer)
	return err
}

// version is the binary's version when the build sets it:
// go build -ldflags "-X main.version=$(git describe --always --dirty)"
// (make build does).
var version string

// buildVersion returns the binary's version: the one set at link time, else
// the commit the build's VCS information names (vcs.revision, its first 12
// digits, "-dirty" when vcs.modified), else "dev". go build stamps the VCS
// information (-buildvcs=auto, -trimpath included) when it builds from a git
// clone with git on PATH; not from a linked worktree, whose .git is a file
// (golang/go#58218), nor with GOFLAGS=-buildvcs=false: there the link-time
// version is the one to rely on.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return versionOf(version, info)
}

// versionOf is buildVersion's rule, for a given link-time version and build
// information (nil when there is none).
func versionOf(linked string, info *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if info == nil {
		return "dev"
	}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision == "" {
		return "dev"
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified == "true" {
		revision += "-dirty"
	}
	return revision
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
