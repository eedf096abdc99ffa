package emulator

import (
	"net"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// The codes of the API's transient failures, which the emulator answers
// when scripted to or when its rate limit refuses a request.
const (
	CodeInternalServerError  = "InternalServerError"
	CodeRequestLimitExceeded = "RequestLimitExceeded"
)

// FaultKind is what a scripted fault does to one request.
type FaultKind int

// The faults. Each replaces the answer: the request is not carried out.
const (
	FaultNone                 FaultKind = iota // answer as usual (after the Fault's Delay)
	FaultReset                                 // close the connection with a TCP reset, no answer
	FaultHTTP500                               // HTTP 500 with an HTML page
	FaultHTTP502                               // HTTP 502 with an HTML page, as a proxy in front would
	FaultTruncatedJSON                         // HTTP 200 with the first half of the JSON answer
	FaultInternalServerError                   // the API's InternalServerError
	FaultRequestLimitExceeded                  // the API's RequestLimitExceeded
	FaultSignatureExpire                       // the API's AuthFailure.SignatureExpire
	FaultHTTP429                               // HTTP 429 with an HTML page, as a gateway that throttles would
)

// String names the fault as Call.Fault records it.
func (k FaultKind) String() string {
	switch k {
	case FaultNone:
		return ""
	case FaultReset:
		return "reset"
	case FaultHTTP500:
		return "http500"
	case FaultHTTP502:
		return "http502"
	case FaultHTTP429:
		return "http429"
	case FaultTruncatedJSON:
		return "truncated"
	case FaultInternalServerError:
		return CodeInternalServerError
	case FaultRequestLimitExceeded:
		return CodeRequestLimitExceeded
	case FaultSignatureExpire:
		return CodeSignatureExpire
	}
	return "unknown"
}

// Fault is what happens to one request: a Delay before anything (the
// request is dropped if the client gives up first), then Kind.
type Fault struct {
	Kind  FaultKind
	Delay time.Duration
}

// faults is the emulator's fault-injection state, guarded by Emulator.mu.
type faults struct {
	script   []Fault            // consumed one per request, in arrival order
	byAction map[string][]Fault // ScriptAction: consumed by that action's requests first
	latency  time.Duration      // added before every answer
	limiter  *rate.Limiter      // nil: no rate limit
	terse    bool               // error messages name no instance
}

// Script queues faults: the next requests get them one each, in arrival
// order, before the emulator answers as usual again. A FaultNone in the
// script lets one request through.
func (e *Emulator) Script(f ...Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.script = append(e.faults.script, f...)
}

// ScriptAction queues faults for the requests of action only (any
// endpoint: CVM, the Tag API, SCF), which take them before those of
// Script, one each, in arrival order. Script's faults reach only the CVM
// endpoints (PathLegacy, PathAPI3), as they did before the other
// services were modelled.
func (e *Emulator) ScriptAction(action string, f ...Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.faults.byAction == nil {
		e.faults.byAction = map[string][]Fault{}
	}
	e.faults.byAction[action] = append(e.faults.byAction[action], f...)
}

// SetLatency makes every answer wait d first, like a distant API.
func (e *Emulator) SetLatency(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.latency = d
}

// SetRateLimit refuses, with RequestLimitExceeded, the authenticated
// ModifyInstancesProject requests beyond perSecond a second, with bursts
// of at most burst (a token bucket on the emulator's clock). perSecond 0
// removes the limit.
func (e *Emulator) SetRateLimit(perSecond float64, burst int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if perSecond <= 0 {
		e.faults.limiter = nil
		return
	}
	e.faults.limiter = rate.NewLimiter(rate.Limit(perSecond), burst)
	e.faults.limiter.AllowN(e.now(), 0) // the bucket starts full now, on the emulator's clock
}

// SetTerseMessages makes the NotFound and NotSupported messages name no
// instance, as some API versions do, so a client must find the culprit.
func (e *Emulator) SetTerseMessages(terse bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.terse = terse
}

// nextFault takes the next fault scripted for action (ScriptAction),
// else, when shared, the next of Script, and adds the latency to it.
func (e *Emulator) nextFault(action string, shared bool) Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	var f Fault
	if q := e.faults.byAction[action]; len(q) > 0 {
		f = q[0]
		e.faults.byAction[action] = q[1:]
	} else if len(e.faults.script) > 0 && shared {
		f = e.faults.script[0]
		e.faults.script = e.faults.script[1:]
	}
	f.Delay += e.faults.latency
	return f
}

// throttle answers RequestLimitExceeded when the rate limit refuses q.
func (e *Emulator) throttle() *apiError {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.faults.limiter; l != nil && !l.AllowN(e.now(), 1) {
		return errorf(CodeRequestLimitExceeded, "Your current request is too frequent: at most %g requests a second are allowed; try again later.", float64(l.Limit()))
	}
	return nil
}

// injectFault waits the next fault's delay, then carries it out, recording
// call with it. It reports whether it answered (or dropped) the request;
// false means the emulator answers as usual. shared: the request may take
// Script's faults.
func (e *Emulator) injectFault(w http.ResponseWriter, r *http.Request, q *request, call Call, shared bool) bool {
	requestID := call.RequestID
	f := e.nextFault(q.action, shared)
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done(): // the client gave up
			call.Fault = "abandoned"
			e.record(call)
			return true
		}
	}
	if f.Kind == FaultNone {
		return false
	}
	call.Fault = f.Kind.String()
	switch f.Kind {
	case FaultInternalServerError, FaultRequestLimitExceeded, FaultSignatureExpire:
		call.Code = f.Kind.String()
	}
	e.record(call)

	switch f.Kind {
	case FaultReset:
		resetConnection(w)
	case FaultHTTP500, FaultHTTP502, FaultHTTP429:
		status := http.StatusInternalServerError
		switch f.Kind {
		case FaultHTTP502:
			status = http.StatusBadGateway
		case FaultHTTP429:
			status = http.StatusTooManyRequests
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><head><title>" + http.StatusText(status) + "</title></head><body><h1>" + http.StatusText(status) + "</h1></body></html>\n"))
	case FaultTruncatedJSON:
		body := `{"Response":{"RequestId":"` + requestID + `"}}`
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body[:len(body)/2]))
	case FaultInternalServerError:
		writeAnswer(w, http.StatusOK, q.oldShape(), requestID, nil, errorf(CodeInternalServerError, "An internal error occurred; try again later."))
	case FaultRequestLimitExceeded:
		writeAnswer(w, http.StatusOK, q.oldShape(), requestID, nil, errorf(CodeRequestLimitExceeded, "Your current request is too frequent; try again later."))
	case FaultSignatureExpire:
		writeAnswer(w, http.StatusOK, q.oldShape(), requestID, nil, errorf(CodeSignatureExpire, "The signature expired: the request's timestamp is more than %v from the server's time.", MaxClockSkew))
	}
	return true
}

// resetConnection drops the connection under w with a TCP reset (linger
// 0), so the client reads "connection reset by peer" or EOF.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
