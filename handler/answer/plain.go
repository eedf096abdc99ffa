package answer

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
)

// Plain returns err's message for a caller: the network error it wraps,
// whose text names the function's own socket address (read tcp
// 127.0.0.1:34524->…), a resolver's, or the innards of a TLS handshake, is
// replaced by what failed in words ("the connection was reset before it
// answered"). The detail stays in the log: the client's line of each
// attempt has the error as it was.
func Plain(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if words, cause := networkCause(err); cause != nil {
		if text := cause.Error(); text != "" && strings.Contains(msg, text) {
			msg = strings.Replace(msg, text, words, 1)
		}
	}
	return string(maskAddresses([]byte(msg), "(a connection)"))
}

// socketAddrs match what is left of a connection's two ends (a pair:
// "tcp 10.0.0.1:5->10.0.0.2:443"; an address: "dial tcp 10.0.0.2:443"), in
// case a network error was flattened into text before it reached Plain.
// Two patterns, each run only where its match may be: the pair's "\S+"
// backtracks over the whole of a text without spaces, as JSON is.
// Compiled at first use, not at every cold start.
var socketAddrs = sync.OnceValues(func() (pair, addr *regexp.Regexp) {
	return regexp.MustCompile(`(?:(?:read|write|dial) )?(?:tcp|udp)[46]? ?(?:\S+:\d+)?->\S+:\d+`),
		regexp.MustCompile(`(?:(?:read|write|dial) (?:tcp|udp)[46]? )?(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d+`)
})

// maskAddresses replaces every socket address in b with words. The
// address pattern runs only on the few bytes before each ':' that has a
// digit (or ']') before it and a digit after, as every address has: run on
// a whole answer, it costs more than the rest of a dry run.
func maskAddresses(b []byte, words string) []byte {
	pair, addr := socketAddrs()
	if bytes.Contains(b, []byte("->")) {
		b = pair.ReplaceAll(b, []byte(words))
	}
	var out []byte
	done := 0 // b[:done] is in out, or needs no change
	for i := 1; i+1 < len(b); i++ {
		if b[i] != ':' || !(b[i-1] == ']' || isDigit(b[i-1])) || !isDigit(b[i+1]) {
			continue
		}
		from, to := max(done, i-addressReach), i+1
		for to < len(b) && isDigit(b[to]) {
			to++
		}
		if loc := addr.FindIndex(b[from:to]); loc != nil {
			out = append(append(out, b[done:from+loc[0]]...), words...)
			done = from + loc[1]
		}
		i = to - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[done:]...)
}

// addressReach is how far before its port's ':' an address can start:
// "write tcp6 " and a bracketed IPv6 address of at most 39 characters.
const addressReach = 64

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// networkCause finds the outermost network error in err's chain and says in
// words what failed; cause is nil when there is none.
func networkCause(err error) (words string, cause error) {
	var (
		op       *net.OpError
		dns      *net.DNSError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &dns):
		return "the name " + dns.Name + " could not be resolved", dns
	case errors.As(err, &verify):
		return "the endpoint's TLS certificate could not be verified (" + verify.Err.Error() + ")", verify
	case errors.As(err, &unknown):
		return "the endpoint's TLS certificate is signed by an unknown authority", unknown
	case errors.As(err, &hostname):
		return "the endpoint's TLS certificate is not for " + hostname.Host, hostname
	case errors.As(err, &invalid):
		return "the endpoint's TLS certificate is not valid (" + invalid.Error() + ")", invalid
	case errors.As(err, &record):
		return "the endpoint did not answer in TLS", record
	case errors.As(err, &alert):
		return "the TLS handshake failed (" + alert.Error() + ")", alert
	case errors.As(err, &op):
		return opWords(op), op
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the connection was closed before the whole answer arrived", eofCause(err)
	case errors.As(err, &netErr) && netErr.Timeout():
		return "no answer came in time", netErr
	}
	return "", nil
}

// opWords says what failed of a connection.
func opWords(op *net.OpError) string {
	switch {
	case errors.Is(op, syscall.ECONNRESET):
		return "the connection was reset before it answered"
	case errors.Is(op, syscall.ECONNREFUSED):
		return "the connection was refused (nothing listens there)"
	case errors.Is(op, syscall.ECONNABORTED), errors.Is(op, syscall.EPIPE):
		return "the connection was closed before it answered"
	case errors.Is(op, syscall.ENETUNREACH), errors.Is(op, syscall.EHOSTUNREACH):
		return "there is no route to the endpoint"
	case errors.Is(op, os.ErrDeadlineExceeded), op.Timeout():
		if op.Op == "dial" {
			return "the connection could not be made in time"
		}
		return "no answer came in time"
	case errors.Is(op, io.EOF), errors.Is(op, io.ErrUnexpectedEOF):
		return "the connection was closed before it answered"
	case op.Op == "dial":
		return "the connection could not be made"
	}
	return "the connection failed"
}

// eofCause returns the EOF in err's chain, for its text to be replaced.
func eofCause(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	return io.EOF
}
