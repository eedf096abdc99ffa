// Command testprogress shows a `go test -json` run as it goes: each
// package's result line as soon as the package finishes (go test alone
// prints them in package order, so one slow package holds back the rest),
// every few seconds the packages still running with their tests passed so
// far, the whole output of any test that failed, and at the end the count of
// top-level tests passed and failed. Its exit status is 1 when a test or a
// build failed.
//
//	go test -json ./... | go run ./internal/cmd/testprogress
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // of a build-output or build-fail event
	Test       string
	Elapsed    float64
	Output     string
}

func main() {
	failed := run(os.Stdin, os.Stdout, 10*time.Second)
	if failed {
		os.Exit(1)
	}
}

// pkg is what is known of one package while it runs.
type pkg struct {
	passed, failed int                 // top-level tests
	output         map[string][]string // by test ("" for the package's own)
	done           bool
}

// run copies the run's progress from r to w, with a line on the packages
// still running every tick, and reports whether anything failed.
func run(r io.Reader, w io.Writer, tick time.Duration) (failed bool) {
	var mu sync.Mutex
	pkgs := map[string]*pkg{}
	get := func(name string) *pkg {
		p, ok := pkgs[name]
		if !ok {
			p = &pkg{output: map[string][]string{}}
			pkgs[name] = p
		}
		return p
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				mu.Lock()
				var running []string
				for name, p := range pkgs {
					if !p.done {
						running = append(running, fmt.Sprintf("%s (%d tests passed)", short(name), p.passed))
					}
				}
				sort.Strings(running)
				if len(running) > 0 {
					fmt.Fprintf(w, "... still running: %s\n", strings.Join(running, ", "))
				}
				mu.Unlock()
			}
		}
	}()

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		mu.Lock()
		if handle(sc.Bytes(), w, get) {
			failed = true
		}
		mu.Unlock()
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testprogress:", err)
		failed = true
	}
	passed, failures := 0, 0
	for _, p := range pkgs {
		passed += p.passed
		failures += p.failed
	}
	fmt.Fprintf(w, "tests: %d passed, %d failed\n", passed, failures)
	return failed
}

// handle shows one line of go test's output and reports whether it tells
// of a failure.
func handle(line []byte, w io.Writer, get func(string) *pkg) (failed bool) {
	var e event
	err := json.Unmarshal(line, &e)
	switch {
	case err == nil && e.Action == "build-output":
		fmt.Fprint(w, e.Output)
		return false
	case err == nil && e.Action == "build-fail":
		return true
	case err != nil || e.Package == "":
		// Not an event: printed by go test as it is.
		fmt.Fprintln(w, string(line))
		return strings.HasPrefix(string(line), "FAIL") || strings.Contains(string(line), "build failed")
	}
	p := get(e.Package)
	switch e.Action {
	case "output":
		p.output[e.Test] = append(p.output[e.Test], e.Output)
	case "pass":
		if e.Test != "" {
			if !strings.Contains(e.Test, "/") {
				p.passed++
			}
			delete(p.output, e.Test)
			break
		}
		p.done = true
		fmt.Fprintf(w, "ok  \t%s\t%.3fs\t(%d tests)\n", e.Package, e.Elapsed, p.passed)
	case "skip":
		if e.Test != "" {
			delete(p.output, e.Test)
			break
		}
		p.done = true
		fmt.Fprintf(w, "?   \t%s\t[no test files]\n", e.Package)
	case "fail":
		failed = true
		if e.Test != "" {
			if !strings.Contains(e.Test, "/") {
				p.failed++
			}
			fmt.Fprint(w, strings.Join(p.output[e.Test], ""))
			delete(p.output, e.Test)
			break
		}
		p.done = true
		fmt.Fprint(w, strings.Join(p.output[""], ""))
		fmt.Fprintf(w, "FAIL\t%s\t%.3fs\t(%d passed, %d failed)\n", e.Package, e.Elapsed, p.passed, p.failed)
	}
	return failed
}

// short is a package's path without the module's name.
func short(name string) string {
	if i := strings.IndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}
