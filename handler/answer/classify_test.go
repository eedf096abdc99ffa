package answer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// listen serves each connection on loopback with serve.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return "http://" + l.Addr().String() + "/"
}

// get is what the CVM client does with an error of client.Do.
func get(t *testing.T, client *http.Client, url string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("an answer")
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		err = ue.Unwrap()
	}
	return fmt.Errorf("%w: cvm.tencentcloudapi.com: %w", cvm.ErrUnreachable, err)
}

var addrPort = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+`)

// Every kind of network failure is told in words, without the function's
// own socket address, which stays in the log.
func TestPlainSaysWhatFailedInWords(t *testing.T) {
	plain := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	reset := listen(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		_, _ = c.Read(buf)
		_ = c.(*net.TCPConn).SetLinger(0)
		_ = c.Close()
	})
	closed := listen(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		_, _ = c.Read(buf)
		_ = c.Close()
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := "http://" + l.Addr().String() + "/"
	require.NoError(t, l.Close())
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	httpSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(httpSrv.Close)
	slow := listen(t, func(c net.Conn) { time.Sleep(2 * time.Second); _ = c.Close() })

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"reset", get(t, plain, reset), "the connection was reset before it answered"},
		{"closed", get(t, plain, closed), "the connection was closed before"},
		{"refused", get(t, plain, refused), "the connection was refused"},
		{"unknown authority", get(t, plain, tlsSrv.URL), "TLS certificate could not be verified"},
		{"not TLS", get(t, plain, "https://"+httpSrv.Listener.Addr().String()+"/"), "HTTP response to HTTPS client"},
		{"timeout", get(t, &http.Client{Timeout: 100 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}, slow), "in time"},
		{"name", fmt.Errorf("%w: x: %w", cvm.ErrUnreachable, &net.OpError{Op: "dial", Net: "tcp",
			Err: &net.DNSError{Err: "no such host", Name: "cvm.example.invalid", Server: "127.0.0.53:53", IsNotFound: true}}), "the name cvm.example.invalid could not be resolved"},
		{"a TLS record", fmt.Errorf("%w: x: %w", cvm.ErrUnreachable, tls.RecordHeaderError{Msg: "tls: first record does not look like a TLS handshake"}), "did not answer in TLS"},
		{"flattened", errors.New("last: read tcp 127.0.0.1:34524->127.0.0.1:45957: read: connection reset by peer"), "(a connection)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plain(tt.err)
			assert.Contains(t, got, tt.want, "from %v", tt.err)
			assert.NotContains(t, got, "->")
			if tt.name != "not TLS" && tt.name != "unknown authority" {
				for _, a := range addrPort.FindAllString(tt.err.Error(), -1) {
					if a != l.Addr().String() && a != addrOf(reset) && a != addrOf(closed) && a != addrOf(slow) {
						assert.NotContains(t, got, a, "a socket address of the function's own")
					}
				}
			}
			if code, msg := FromCall(cvm.Result{Attempts: 1}, tt.err, "r"); code == CodeUpstreamUnreachable {
				assert.Equal(t, got, msg)
			}
		})
	}
}

func addrOf(url string) string { return url[len("http://") : len(url)-1] }

// The credentials' errors are told in words too.
func TestFromCredentialsSaysWhatFailedInWords(t *testing.T) {
	op := &net.OpError{Op: "read", Net: "tcp", Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 34524},
		Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 45957}, Err: errors.New("connection reset by peer")}
	err := fmt.Errorf("%w: role r: STS sts.tencentcloudapi.com: %w", credentials.ErrAssumeRole, op)
	e := FromCredentials(err)
	assert.Equal(t, CodeAssumeRoleFailed, e.Code)
	assert.NotContains(t, e.Message, "34524")
	assert.Contains(t, e.Message, "STS sts.tencentcloudapi.com: the connection failed")
}
