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
	case PathTag:
		e.serveService(w, r, requestID, tagService)
		return
	case PathSCF:
		e.serveService(w, r, requestID, scfService)
		return
	default:
		err := errorf(CodeUnsupportedOperation, "The path %q is not an endpoint of the emulator; use %q (CVM API 3.0), %q (CVM legacy), %q (Tag API) or %q (SCF).", r.URL.Path, PathAPI3, PathLegacy, PathTag, PathSCF)
		e.record(Call{Code: err.Code, RequestID: requestID})
		writeAnswer(w, http.StatusNotFound, false, requestID, nil, err)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		err := errorf(CodeUnsupportedProtocol, "The HTTP method %s is not supported; use GET or POST.", r.Method)
		e.record(Call{Endpoint: endpoint, Code: err.Code, RequestID: requestID})
		w.Header().Set("Allow", "GET, POST")
		writeAnswer(w, http.StatusMethodNotAllowed, endpoint == EndpointLegacy, requestID, nil, err)
		return
	}

	q := readRequest(r, endpoint)
	q.requestID = requestID
	if e.injectFault(w, r, q, q.call(requestID), true) {
		return
	}
	result, err := e.handle(q)
	call := q.call(requestID)
	if err != nil {
		call.Code = err.Code
	}
	e.record(call) // before answering, so that a client sees its call once answered
	writeAnswer(w, http.StatusOK, q.oldShape(), requestID, result, err)
}

// answered names the actions the emulator answers, for messages.
const answered = Action + ", " + ActionDescribe + ", " + ActionModifyAttribute + " and " + ActionDescribeRegions

// handle runs every check in the API's order, then the action: the move,
// the listing or the regions, whose result it returns, or the change of
// security groups.
func (e *Emulator) handle(q *request) (any, *apiError) {
	if q.fatal != nil {
		return nil, q.fatal
	}
	if err := e.authenticate(q); err != nil {
		return nil, err
	}
	switch q.action {
	case Action, ActionDescribe, ActionModifyAttribute, ActionDescribeRegions:
	case "":
		return nil, errorf(CodeInvalidAction, "The request names no action; this endpoint answers %s.", answered)
	default:
		return nil, errorf(CodeInvalidAction, "The action `%s` is not supported in version %s of service %s; this endpoint answers %s.", q.action, Version, Service, answered)
	}
	if err := e.throttle(); err != nil {
		return nil, err
	}
	if err := e.limitRate(q.action); err != nil {
		return nil, err
	}
	if (q.endpoint == EndpointAPI3 || q.versionSent) && q.version != Version {
		if q.version == "" {
			return nil, errorf(CodeNoSuchVersion, "The request names no version; use %s.", Version)
		}
		return nil, errorf(CodeNoSuchVersion, "The version `%s` of service %s does not exist; use %s.", q.version, Service, Version)
	}
	if q.endpoint == EndpointAPI3 && q.region == "" && q.action != ActionDescribeRegions {
		return nil, missing("Region") // DescribeRegions: "This parameter is not required for this API"
	}
	if !q.tc3 && q.nonce == "" {
		return nil, missing("Nonce")
	}
	if err := e.regionFault(q); err != nil {
		return nil, err
	}
	switch q.action {
	case ActionDescribeRegions:
		return e.describeRegions(q)
	case ActionDescribe:
		return e.describe(q)
	case ActionModifyAttribute:
		args, err := checkAttributeArgs(q)
		if err != nil {
			return nil, err
		}
		return nil, e.modifyAttribute(args)
	}
	args, err := checkArgs(q)
	if err != nil {
		return nil, err
	}
	return nil, e.move(args)
}

var _ http.Handler = (*Emulator)(nil)
