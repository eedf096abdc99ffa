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
	"fmt"
	"net"
	"net/rpc"
	"os/exec"
	"strconv"
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
// answers Ping, or ctx ends.
func Start(ctx context.Context, binary string, env []string) (*Process, error) {
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

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		if c, err := rpc.Dial("tcp", addr); err == nil {
			p.client = c
			break
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("scfrpc: %s exited before serving: %s", binary, out.String())
		case <-ctx.Done():
			p.Stop()
			return nil, fmt.Errorf("scfrpc: %s did not serve on %s: %w", binary, addr, ctx.Err())
		case <-time.After(200 * time.Microsecond):
		}
	}
	if err := p.Ping(); err != nil {
		p.Stop()
		return nil, err
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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("scfrpc: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
