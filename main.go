// Command main is the SCF function that moves CVM instances into a project:
// under SCF (_LAMBDA_SERVER_PORT set) it serves invocations through
// scf-go-lib; otherwise it answers one event locally (docs/local.md).
package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/functioncontext"

	"scf-cvm-project/handler"
	"scf-cvm-project/handler/answer"
)

// versionFile is the release this commit is, in the source so that every
// build (make, go build, go run) reports the same version.
//
//go:embed VERSION
var versionFile string

// version is the binary's version, as -version prints it.
var version = strings.TrimSpace(versionFile)

// The local run's exit statuses.
const (
	exitOK    = 0 // the answer is not an error (HTTP status below 400)
	exitError = 1 // an error answer, a function error, or the event could not be read
	exitUsage = 2 // the command line is wrong
)

func main() {
	// The process's times are UTC, so a log line's time reads alike in every
	// region, and a cold start never loads the local zone's file to write one.
	time.Local = time.UTC
	handler.Version = version
	// Unless GOMEMLIMIT is set, the collector works harder as the heap nears
	// half the function's memory (FUNCTION_MEMORY_SIZE, as scf-go-lib reads
	// it), where by default it would let the heap grow to twice what is live.
	if os.Getenv("GOMEMLIMIT") == "" && functioncontext.MemoryLimitInMB > 0 {
		debug.SetMemoryLimit(int64(functioncontext.MemoryLimitInMB) << 20 / 2)
	}
	// The settings are the environment at start overlaid with each
	// invocation's: the runtime's os.Setenv never unsets a variable. Read
	// here, before the runtime can apply an invocation's.
	atStart := handler.AtStart(os.Environ())
	newHandler := func() *handler.Handler {
		return handler.NewFromEnv(atStart, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	}
	if os.Getenv("_LAMBDA_SERVER_PORT") != "" {
		// The runtime listens at once; the Handler is built (its configured
		// line written) and encoding/json warmed beside it while SCF has yet
		// to call: the cold start's first Ping and first answer come sooner,
		// and an invocation that comes first waits for the build.
		s := &starting{built: make(chan struct{})}
		go func() {
			s.h = newHandler()
			close(s.built)
			handler.Warm()
		}()
		cloudfunction.StartHandler(s)
		return
	}
	os.Exit(runLocal(newHandler, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// starting is the runtime's Handler while the function's Handler is built
// beside the runtime's start.
type starting struct {
	built chan struct{} // closed once h is set
	h     *handler.Handler
}

// Invoke answers one invocation with the built Handler, waiting for the
// build if need be; if the invocation's time runs out first (a RULES_FILE
// that does not answer), it is a function error, which SCF retries when
// the invocation is asynchronous.
func (s *starting) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case <-s.built:
		return s.h.Invoke(ctx, payload)
	case <-ctx.Done():
		return nil, fmt.Errorf("the function was still reading its settings when the invocation's time ran out: %w", ctx.Err())
	}
}

const usageText = `main moves Tencent Cloud CVM instances into a project. It is an SCF
function; run without SCF, it answers one event, the way SCF would invoke it,
with the settings and keys of the environment (TENCENTCLOUD_SECRETID, ...).

Usage:
  main [-event file] [-timeout 30s]   the event from a file, or from standard input
  main -version                       print the version and exit
  main -h                             print this help and exit

The answer goes to standard output, the log (JSON lines) to standard error.
Exit status: 0 the answer is not an error, 1 an error answer (HTTP status 400
or more, e.g. 401, 502) or a function error, 2 a wrong command line.

Flags:
`

// runLocal invokes the handler newHandler builds once with an event, as SCF
// would, with a deadline, and returns the exit status.
func runLocal(newHandler func() *handler.Handler, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("main", flag.ContinueOnError)
	fs.SetOutput(stderr)
	eventPath := fs.String("event", "", "`file` holding the event JSON (default: standard input; - too)")
	timeout := fs.Duration("timeout", 30*time.Second, "the invocation's time limit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		return exitUsage // the flag package has said what is wrong, and printed the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "main: unexpected argument %q: the event comes from -event or standard input\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "main: -timeout %v: the invocation's time limit must be above 0\n", *timeout)
		return exitUsage
	}
	if *showVersion {
		fmt.Fprintln(stdout, version)
		return exitOK
	}
	var payload []byte
	var err error
	if *eventPath == "" || *eventPath == "-" {
		payload, err = io.ReadAll(stdin)
	} else {
		payload, err = os.ReadFile(*eventPath)
	}
	if err != nil {
		fmt.Fprintln(stderr, "main: reading the event:", err)
		return exitError
	}
	h := newHandler()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx = functioncontext.NewContext(ctx, &functioncontext.FunctionContext{RequestID: "local-" + strings.ToLower(rand.Text())})
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		// A function error: under SCF, an asynchronous invocation is retried.
		fmt.Fprintln(stderr, "main: function error:", err)
		return exitError
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
		fmt.Fprintln(stderr, "main:", err)
		return exitError
	}
	// An error answer: its HTTP status (statusCode, else HTTPStatus of its
	// Code) is 400 or more.
	var a struct {
		StatusCode *int `json:"statusCode"`
		Code       string
	}
	if err := json.Unmarshal(out, &a); err != nil {
		return exitError
	}
	status := answer.HTTPStatus(a.Code)
	if a.StatusCode != nil {
		status = *a.StatusCode
	}
	if status >= 400 {
		return exitError
	}
	return exitOK
}
