package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// ErrNotLoopback is returned by Listen for an address off the loopback.
var ErrNotLoopback = errors.New("emulator: not a loopback address")

// CheckLoopback returns nil when addr (host:port) names a loopback IP
// address or localhost, else an error wrapping ErrNotLoopback.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("emulator: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refuse to listen on %q: %w", addr, ErrNotLoopback)
	}
	return nil
}

// Start serves e on a free port of 127.0.0.1. It returns the base URL,
// like "http://127.0.0.1:41234", and a stop function that shuts the server
// down and waits for it.
func (e *Emulator) Start() (baseURL string, stop func(), err error) {
	return e.Listen("127.0.0.1:0")
}

// Listen serves e on addr, which must be a loopback address (CheckLoopback),
// like Start.
func (e *Emulator) Listen(addr string) (baseURL string, stop func(), err error) {
	return Listen(addr, e)
}

// Serve serves h (e.g. an STS or a Metadata) on a free port of 127.0.0.1,
// like Start.
func Serve(h http.Handler) (baseURL string, stop func(), err error) {
	return Listen("127.0.0.1:0", h)
}

// Listen serves h on addr, which must be a loopback address
// (CheckLoopback), like Start.
func Listen(addr string, h http.Handler) (baseURL string, stop func(), err error) {
	if err := CheckLoopback(addr); err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("emulator: listen on %q: %w", addr, err)
	}
	if tcp, ok := l.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = l.Close()
		return "", nil, fmt.Errorf("%q listens on %s: %w", addr, l.Addr(), ErrNotLoopback)
	}
	fresh := &freshConns{conns: map[net.Conn]struct{}{}}
	srv := &http.Server{
		Handler:           h,
		ConnState:         fresh.track,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l) // ends with http.ErrServerClosed once stopped
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			shut := make(chan error, 1)
			go func() { shut <- srv.Shutdown(ctx) }()
			// Shutdown waits for requests in flight but also, for up to 5 s,
			// for connections that a client opened and has not used yet (an
			// HTTP client dials spares under concurrency): close those now.
			fresh.closeAll()
			if <-shut != nil {
				_ = srv.Close()
			}
			<-done
		})
	}
	return "http://" + l.Addr().String(), stop, nil
}

// freshConns tracks the connections on which no request has started yet.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (f *freshConns) track(c net.Conn, s http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s == http.StateNew {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
	}
}
