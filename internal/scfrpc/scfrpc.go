// Package scfrpc runs a function binary the way SCF's Go runtime does: it
// starts the process with _LAMBDA_SERVER_PORT, and calls net/rpc
// Function.Ping and Function.Invoke with scf-go-lib's message types.
//
// The end-to-end tests and `make demo` use it; it talks to 127.0.0.1 only.
package scfrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/rpc"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

// Process is a running function binary.
type Process struct {
	cmd    *exec.Cmd
	client *rpc.Client
	output *lockedBuffer
	done   chan struct{}
	seq    atomic.Int64
}

// Start runs binary with env (plus _LAMBDA_SERVER_PORT) and waits until it
// answers Ping, or ctx ends. A binary that exits before serving because its
// port was taken in the meantime is started again on another port.
func Start(ctx context.Context, binary string, env []string) (*Process, error) {
	for attempt := 1; ; attempt++ {
		p, err := start(ctx, binary, env)
		if err == nil || !errors.Is(err, errPortTaken) || attempt == 5 {
			return p, err
		}
	}
}

var errPortTaken = errors.New("port taken")

func start(ctx context.Context, binary string, env []string) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	out := &lockedBuffer{}
	cmd := exec.Command(binary)
	cmd.Env = append(append([]string(nil), env...), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("scfrpc: starting %s: %w", binary, err)
	}
	p := &Process{cmd: cmd, output: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	exited := func() error {
		if strings.Contains(out.String(), "address already in use") {
			return fmt.Errorf("scfrpc: %s: %w: %s", binary, errPortTaken, out.String())
		}
		return fmt.Errorf("scfrpc: %s exited before serving: %s", binary, out.String())
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		if c, err := rpc.Dial("tcp", addr); err == nil {
			p.client = c
			break
		}
		select {
		case <-p.done:
			return nil, exited()
		case <-ctx.Done():
			p.Stop()
			return nil, fmt.Errorf("scfrpc: %s did not serve on %s: %w", binary, addr, ctx.Err())
		case <-time.After(200 * time.Microsecond):
		}
	}
	if err := p.Ping(); err != nil {
		p.Stop() // the process has ended: its output is whole
		if eerr := exited(); errors.Is(eerr, errPortTaken) {
			return nil, eerr
		}
		return nil, fmt.Errorf("%w (output: %s)", err, out.String())
	}
	return p, nil
}

// Ping calls Function.Ping.
func (p *Process) Ping() error {
	if err := p.client.Call("Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}); err != nil {
		return fmt.Errorf("scfrpc: Function.Ping: %w", err)
	}
	return nil
}

// Invocation is what SCF sends besides the payload.
type Invocation struct {
	RequestID string
	Timeout   time.Duration     // the function's time limit; 30 s when zero
	Env       map[string]string // scf-go-lib sets these in the process before invoking
}

// FunctionError is the error a handler returned or panicked with.
type FunctionError struct{ messages.InvokeResponse_Error }

func (e *FunctionError) Error() string { return "function error " + e.Type + ": " + e.Message }

// Invoke calls Function.Invoke with payload and returns the answer's payload.
// It is safe for concurrent use: net/rpc sends concurrent calls over the one
// connection, and the function's runtime serves each in its own goroutine,
// as SCF does with concurrent invocations of one instance.
func (p *Process) Invoke(payload []byte, inv Invocation) ([]byte, error) {
	if inv.Timeout == 0 {
		inv.Timeout = 30 * time.Second
	}
	n := p.seq.Add(1)
	if inv.RequestID == "" {
		inv.RequestID = "scfrpc-" + strconv.FormatInt(n, 10)
	}
	deadline := time.Now().Add(inv.Timeout)
	req := &messages.InvokeRequest{
		Payload:       payload,
		RequestId:     inv.RequestID,
		Deadline:      messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName:  "cvm-project",
		TimeLimitInMs: int32(inv.Timeout / time.Millisecond),
	}
	if len(inv.Env) > 0 {
		b, err := json.Marshal(inv.Env)
		if err != nil {
			return nil, err
		}
		req.Environment = string(b)
	}
	var resp messages.InvokeResponse
	if err := p.client.Call("Function.Invoke", req, &resp); err != nil {
		return nil, fmt.Errorf("scfrpc: Function.Invoke: %w", err)
	}
	if resp.Error != nil {
		return nil, &FunctionError{*resp.Error}
	}
	return resp.Payload, nil
}

// Output returns what the process has written to stdout and stderr.
func (p *Process) Output() string { return p.output.String() }

// Stop kills the process and waits for it.
func (p *Process) Stop() {
	if p.client != nil {
		_ = p.client.Close()
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// nextPort walks the ports below Linux's ephemeral range (32768 and up by
// default), from a random start: a port the kernel hands to outgoing
// connections could be taken between this check and the binary's listen
// (the tests make thousands of connections), and two binaries started by
// one test process never get the same port.
var nextPort atomic.Int64

func init() { nextPort.Store(int64(rand.IntN(portSpan))) }

const portBase, portSpan = 20000, 12000

// freePort returns a port that 0.0.0.0 can listen on now, as the runtime
// (scf-go-lib) will.
func freePort() (int, error) {
	var err error
	for range portSpan {
		port := portBase + int(nextPort.Add(1)%portSpan)
		var l net.Listener
		if l, err = net.Listen("tcp", net.JoinHostPort("0.0.0.0", strconv.Itoa(port))); err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("scfrpc: finding a free port: %w", err)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }
