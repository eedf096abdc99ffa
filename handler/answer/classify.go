package answer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/batch"
	"scf-cvm-project/cvm/listing"
)

// notSentDeadline is the message of a batch the deadline kept from being sent.
const notSentDeadline = "not sent: the invocation's deadline left no time for this batch"

// Internal is the error told to the caller of an invocation that panicked:
// the panic itself goes only to the function's log.
func Internal(invocationID string) *Error {
	return &Error{Code: CodeInternalError, Message: "internal error; see the function's log for request " + invocationID}
}

// FromCredentials maps a credential provider's error to the answer's code.
// Its message says what failed in words (Plain), never a socket address.
func FromCredentials(err error) *Error {
	switch {
	case errors.Is(err, credentials.ErrAssumeRole):
		return &Error{Code: CodeAssumeRoleFailed, Message: Plain(err)}
	case errors.Is(err, credentials.ErrMetadataUnreachable):
		return &Error{Code: CodeMetadataUnreachable, Message: Plain(err)}
	case errors.Is(err, credentials.ErrNotFound):
		return &Error{Code: CodeMissingCredentials, Message: Plain(err) +
			"; give the function an execution role, set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY, or run it on an instance with a role"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeDeadlineExceeded, Message: "the invocation's deadline ran out while getting credentials; nothing was sent"}
	}
	return &Error{Code: CodeMissingCredentials, Message: "credentials could not be read: " + Plain(err)}
}

// FromCall maps a CVM call's outcome to a code and message: the upstream's
// own code, else the kind of failure err is; res.Code "" with no err is
// Success. The message says what failed in words (Plain).
func FromCall(res cvm.Result, err error, invocationID string) (code, message string) {
	var perr *cvm.PanicError
	var apiErr *cvm.APIError
	switch {
	case err == nil:
		return CodeSuccess, ""
	case errors.As(err, &perr):
		e := Internal(invocationID)
		return e.Code, e.Message
	case errors.Is(err, cvm.ErrNotSent) && errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.DeadlineExceeded) && res.Attempts == 0:
		return CodeDeadlineExceeded, notSentDeadline
	case errors.Is(err, cvm.ErrNoTimeLeft) && cvm.Throttled(err):
		// The cause, not the clock: a client that backs off on 429 should.
		return CodeRequestLimitExceeded, fmt.Sprintf("the API kept throttling the calls (RequestLimitExceeded) until the invocation's deadline left no time for another attempt, after %d; the batch may or may not have been applied", res.Attempts)
	case errors.Is(err, cvm.ErrNoTimeLeft):
		return CodeDeadlineExceeded, fmt.Sprintf("the invocation's deadline left no time for another attempt after %d; the batch may or may not have been applied (%s)", res.Attempts, Plain(err))
	case errors.As(err, &apiErr):
		return apiErr.Code, apiErr.Message
	case errors.Is(err, cvm.ErrNotSent) && !errors.Is(err, cvm.ErrKeysExpired) && !errors.Is(err, context.Canceled):
		e := FromCredentials(err)
		return e.Code, "not sent: " + e.Message
	case errors.Is(err, cvm.ErrNotSent):
		return CodeMissingCredentials, "not sent: " + Plain(err)
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded, "the invocation's deadline ran out before the upstream answered; the batch may or may not have been applied"
	case errors.Is(err, cvm.ErrBadResponse):
		return CodeUpstreamBadResponse, Plain(err)
	}
	return CodeUpstreamUnreachable, Plain(err)
}

// FromBatches maps the outcomes of batch.Move to the answer's
// batches, the instances that failed (those isolated, in the order of the
// batches) and the calls isolation cost.
func FromBatches(outcomes []batch.Outcome, invocationID string) (batches []Batch, failed []Failure, isolationCalls int) {
	batches = make([]Batch, len(outcomes))
	for i, o := range outcomes {
		b := Batch{InstanceIds: o.InstanceIds, RequestId: o.RequestID, Attempts: o.Attempts}
		b.Code, b.Message = FromCall(o.Result, o.Err, invocationID)
		if iso := o.Isolation; iso != nil {
			for _, f := range iso.Failed {
				code, msg := FromCall(f.Outcome.Result, f.Outcome.Err, invocationID)
				failed = append(failed, Failure{InstanceId: f.InstanceId, Code: code, Message: msg})
			}
			isolationCalls += iso.Calls
			b = isolated(b, o, invocationID)
		}
		batches[i] = b
	}
	return batches, failed, isolationCalls
}

// isolated is a batch's own outcome after its offending instances were
// isolated: the deadline when it stopped the isolation, PartialSuccess when
// some moved, the refusal's code when none did.
func isolated(b Batch, o batch.Outcome, invocationID string) Batch {
	b.Isolated = true
	iso, moved := o.Isolation, 0
	for _, op := range o.Operations {
		moved += len(op.InstanceIds)
	}
	failed := len(iso.Failed)
	stoppedByDeadline := false
	if iso.Stopped != nil {
		code, _ := FromCall(iso.Stopped.Result, iso.Stopped.Err, invocationID)
		stoppedByDeadline = code == CodeDeadlineExceeded
	}
	switch {
	case stoppedByDeadline:
		b.Code = CodeDeadlineExceeded
		b.Message = fmt.Sprintf("the invocation's deadline ran out while isolating the offending instances: %d moved, %d failed (see Failed)", moved, failed)
	case moved > 0:
		b.Code = CodePartialSuccess
		b.Message = fmt.Sprintf("moved %d of %d instances; %d failed (see Failed); isolating them took %d more calls", moved, moved+failed, failed, iso.Calls)
	}
	return b
}

// FromListing describes a failed listing.Instances as a Failure of no
// instance in particular, with the RequestId of the failed call ("" when
// none answered). what names the listing; listed is how many instances it
// had listed.
func FromListing(what string, listed int, err error) (Failure, string) {
	var f Failure
	var reqID string
	var apiErr *cvm.APIError
	switch {
	case errors.As(err, &apiErr):
		reqID = apiErr.RequestID
		f.Code, f.Message = apiErr.Code, apiErr.Message
	case errors.Is(err, context.DeadlineExceeded):
		f.Code, f.Message = CodeDeadlineExceeded, "the invocation's deadline ran out"
	case errors.Is(err, listing.ErrBadQuery):
		f.Code, f.Message = CodeInternalError, Plain(err)
	default:
		f.Code, f.Message = FromCall(cvm.Result{Attempts: 1}, err, "")
	}
	f.Message = fmt.Sprintf("%s stopped after %d instances, so nothing was moved for it: %s", what, listed, f.Message)
	return f, reqID
}

// Plain returns err's message for a caller, with a wrapped network error
// (which names socket addresses or TLS innards) replaced by what failed in
// words ("the connection was reset before it answered"), and any address
// left masked. Each attempt's log line keeps the error as it was.
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

// socketPair matches a connection's two ends ("tcp 10.0.0.1:5->10.0.0.2:443"),
// compiled when first needed: only an error's words hold one.
var socketPair = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:(?:read|write|dial) )?(?:tcp|udp)[46]? ?(?:\S+:\d+)?->\S+:\d+`)
})

// maskAddresses replaces every socket address in b with words: a
// connection's two ends, and an IPv4 or [IPv6] address with its port and
// any "dial tcp " (read, write; tcp4, udp6, ...) before it. One address is
// found from its port's ':' back, without a regexp: compiling and running
// one was a tenth of a cold start's first invocation.
func maskAddresses(b []byte, words string) []byte {
	if bytes.Contains(b, []byte("->")) {
		b = socketPair().ReplaceAll(b, []byte(words))
	}
	var out []byte
	done := 0 // b[:done] is in out, or needs no change
	for i := 1; i+1 < len(b); i++ {
		// An address ends in a digit or ']' before its port's ':' (JSON's
		// "key":1 has a '"'), and its port starts with a digit.
		if b[i] != ':' || !isDigit(b[i+1]) || !(isDigit(b[i-1]) || b[i-1] == ']') {
			continue
		}
		to := i + 1
		for to < len(b) && isDigit(b[to]) {
			to++
		}
		if from := addressStart(b[done:i]); from >= 0 {
			out = append(append(out, b[done:done+from]...), words...)
			done = to
		}
		i = to - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[done:]...)
}

// addressStart returns where the address that text ends with starts,
// four groups of 1 to 3 digits or a bracketed IPv6 address, with any
// "dial tcp " before it; -1 when text ends with neither.
func addressStart(text []byte) int {
	start := -1
	if n := len(text); n > 2 && text[n-1] == ']' {
		open := bytes.LastIndexByte(text[:n-1], '[')
		if open >= 0 && open < n-2 && !bytes.ContainsFunc(text[open+1:n-1], func(r rune) bool {
			return !isDigit(byte(r)) && !strings.ContainsRune("abcdefABCDEF:.", r)
		}) {
			start = open
		}
	} else {
		end := len(text) // of the group
		for group := 1; group <= 4; group++ {
			d := end
			for d > 0 && end-d < 3 && isDigit(text[d-1]) {
				d--
			}
			switch {
			case d == end:
				return -1
			case group == 4:
				start = d
			case d == 0 || text[d-1] != '.':
				return -1
			}
			end = d - 1
		}
	}
	if start < 0 {
		return -1
	}
	// (read|write|dial) (tcp|udp)[46]?, then a space
	head, ok := bytes.CutSuffix(text[:start], []byte(" "))
	if !ok {
		return start
	}
	if n := len(head); n > 0 && (head[n-1] == '4' || head[n-1] == '6') {
		head = head[:n-1]
	}
	for _, network := range []string{"tcp", "udp"} {
		if rest, ok := bytes.CutSuffix(head, []byte(network)); ok {
			for _, op := range []string{"read ", "write ", "dial "} {
				if bytes.HasSuffix(rest, []byte(op)) {
					return len(rest) - len(op)
				}
			}
		}
	}
	return start
}

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
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before the whole answer arrived", io.ErrUnexpectedEOF
	case errors.Is(err, io.EOF):
		return "the connection was closed before the whole answer arrived", io.EOF
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
