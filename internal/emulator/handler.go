package emulator

import "net/http"

// ServeHTTP answers one request on PathLegacy or PathAPI3 and records it.
// The answer is HTTP 200 with a JSON body, success or error, as the CVM API
// gives; another path is answered 404 and another HTTP method 405.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	var endpoint string
	switch r.URL.Path {
	case PathLegacy:
		endpoint = EndpointLegacy
	case PathAPI3:
		endpoint = EndpointAPI3
	default:
		err := errorf(CodeUnsupportedOperation, "The path %q is not a CVM API endpoint; use %q (API 3.0) or %q (legacy).", r.URL.Path, PathAPI3, PathLegacy)
		e.record(Call{Code: err.Code, RequestID: requestID})
		writeAnswer(w, http.StatusNotFound, false, requestID, err)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		err := errorf(CodeUnsupportedProtocol, "The HTTP method %s is not supported; use GET or POST.", r.Method)
		e.record(Call{Endpoint: endpoint, Code: err.Code, RequestID: requestID})
		w.Header().Set("Allow", "GET, POST")
		writeAnswer(w, http.StatusMethodNotAllowed, endpoint == EndpointLegacy, requestID, err)
		return
	}

	q := readRequest(r, endpoint)
	if e.injectFault(w, r, q, requestID) {
		return
	}
	err := e.handle(q)
	call := q.call(requestID)
	if err != nil {
		call.Code = err.Code
	}
	e.record(call) // before answering, so that a client sees its call once answered
	writeAnswer(w, http.StatusOK, q.oldShape(), requestID, err)
}

// handle runs every check in the API's order, then the move.
func (e *Emulator) handle(q *request) *apiError {
	if q.fatal != nil {
		return q.fatal
	}
	if err := e.authenticate(q); err != nil {
		return err
	}
	if q.action != Action {
		if q.action == "" {
			return errorf(CodeInvalidAction, "The request names no action; this endpoint answers %s.", Action)
		}
		return errorf(CodeInvalidAction, "The action `%s` is not supported in version %s of service %s; this endpoint answers %s.", q.action, Version, Service, Action)
	}
	if err := e.throttle(); err != nil {
		return err
	}
	if (q.endpoint == EndpointAPI3 || q.versionSent) && q.version != Version {
		if q.version == "" {
			return errorf(CodeNoSuchVersion, "The request names no version; use %s.", Version)
		}
		return errorf(CodeNoSuchVersion, "The version `%s` of service %s does not exist; use %s.", q.version, Service, Version)
	}
	if q.endpoint == EndpointAPI3 && q.region == "" {
		return missing("Region")
	}
	if !q.tc3 && q.nonce == "" {
		return missing("Nonce")
	}
	args, err := checkArgs(q)
	if err != nil {
		return err
	}
	return e.move(args)
}

var _ http.Handler = (*Emulator)(nil)
