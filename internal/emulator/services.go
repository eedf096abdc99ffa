package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// service is another Tencent Cloud API 3.0 service the emulator answers,
// on its own path (PathTag, PathSCF), signed as the CVM actions are (v1
// or TC3 with the service's name in the credential scope) and checked by
// the same code, with the same keys, rate limits and per-action faults.
type service struct {
	name     string // the TC3 scope's service, like "tag"
	version  string
	endpoint string // Call.Endpoint
	// regional reports whether action needs the common parameter Region.
	regional func(action string) bool
	actions  map[string]func(e *Emulator, q *request, p params) (any, *apiError)
	// fill copies an action's parameters into its Call.
	fill func(c *Call, p params)
}

// serveService answers one request to s and records it.
func (e *Emulator) serveService(w http.ResponseWriter, r *http.Request, requestID string, s *service) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		err := errorf(CodeUnsupportedProtocol, "The HTTP method %s is not supported; use GET or POST.", r.Method)
		e.record(Call{Endpoint: s.endpoint, Code: err.Code, RequestID: requestID})
		w.Header().Set("Allow", "GET, POST")
		writeServiceAnswer(w, http.StatusMethodNotAllowed, requestID, nil, err)
		return
	}
	q := readRequest(r, EndpointAPI3)
	q.service, q.requestID = s.name, requestID
	p, paramErr := readParams(q)
	call := q.call(requestID)
	call.Endpoint = s.endpoint
	s.fill(&call, p)
	if e.injectFault(w, r, q, call, false) {
		return
	}
	result, err := e.handleService(q, p, paramErr, s)
	if err != nil {
		call.Code = err.Code
	}
	e.record(call)
	writeServiceAnswer(w, http.StatusOK, requestID, result, err)
}

// handleService runs the common checks in the order of the CVM actions'
// (handle), then the action.
func (e *Emulator) handleService(q *request, p params, paramErr *apiError, s *service) (any, *apiError) {
	if q.fatal != nil {
		return nil, q.fatal
	}
	if err := e.authenticate(q); err != nil {
		return nil, err
	}
	run, ok := s.actions[q.action]
	switch {
	case q.action == "":
		return nil, errorf(CodeInvalidAction, "The request names no action; this endpoint answers %s.", s.answered())
	case !ok:
		return nil, errorf(CodeInvalidAction, "The action `%s` is not supported in version %s of service %s; this endpoint answers %s.", q.action, s.version, s.name, s.answered())
	}
	if err := e.limitRate(q.action); err != nil {
		return nil, err
	}
	switch {
	case q.version == "":
		return nil, errorf(CodeNoSuchVersion, "The request names no version; use %s.", s.version)
	case q.version != s.version:
		return nil, errorf(CodeNoSuchVersion, "The version `%s` of service %s does not exist; use %s.", q.version, s.name, s.version)
	case s.regional(q.action) && q.region == "":
		return nil, missing("Region")
	case !q.tc3 && q.nonce == "":
		return nil, missing("Nonce")
	case paramErr != nil:
		return nil, paramErr
	}
	return run(e, q, p)
}

func (s *service) answered() string {
	names := make([]string, 0, len(s.actions))
	for a := range s.actions {
		names = append(names, a)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// writeServiceAnswer writes result's fields (a struct) and RequestId, or
// err, inside Response, as API 3.0 answers.
func writeServiceAnswer(w http.ResponseWriter, status int, requestID string, result any, err *apiError) {
	body := map[string]any{"RequestId": requestID}
	switch {
	case err != nil:
		body["Error"] = api3Error{Code: err.Code, Message: err.Message}
	case result != nil:
		b, _ := json.Marshal(result) // plain structs: cannot fail
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(b, &fields)
		for k, v := range fields {
			body[k] = v
		}
	}
	writeJSON(w, status, map[string]any{"Response": body})
}

// params are an API 3.0 action's parameters, from a v1 form or query
// (Name.N for lists) or a TC3 JSON body.
type params struct {
	tc3  bool
	v1   map[string]string
	body map[string]json.RawMessage
}

// readParams reads q's parameters; a TC3 body that is not a JSON object
// is answered InvalidParameter.
func readParams(q *request) (params, *apiError) {
	if !q.tc3 {
		return params{v1: q.params}, nil
	}
	p := params{tc3: true}
	if len(bytes.TrimSpace(q.body)) > 0 && json.Unmarshal(q.body, &p.body) != nil {
		return p, errorf(CodeInvalidParameter, "The request body is not a JSON object.")
	}
	return p, nil
}

// str returns the string parameter name and whether it was given.
func (p params) str(name string) (string, bool, *apiError) {
	if !p.tc3 {
		v, ok := p.v1[name]
		return v, ok, nil
	}
	raw, ok := p.body[name]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", true, errorf(CodeInvalidParameterValue, "The parameter `%s` must be a string, not %s.", name, jsonKind(raw))
	}
	return s, true, nil
}

// list returns the list parameter name (name.N, or a JSON array of strings).
func (p params) list(name, item string) ([]string, *apiError) {
	if !p.tc3 {
		return v1List(p.v1, name, item)
	}
	raw, ok := p.body[name]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var out []string
	if json.Unmarshal(raw, &out) != nil {
		return nil, errorf(CodeInvalidParameterValue, "The parameter `%s` must be an array of strings, not %s.", name, jsonKind(raw))
	}
	return out, nil
}

// integer returns the non-negative integer parameter name and whether it
// was given (a JSON number, or decimal digits in a form).
func (p params) integer(name string) (int64, bool, *apiError) {
	var text string
	if !p.tc3 {
		v, ok := p.v1[name]
		if !ok {
			return 0, false, nil
		}
		text = v
	} else {
		raw, ok := p.body[name]
		if !ok || isNull(raw) {
			return 0, false, nil
		}
		text = string(bytes.TrimSpace(raw))
	}
	n, ok := parseProjectID(text)
	if !ok {
		return 0, true, errorf(CodeInvalidParameter, "The parameter `%s` value %s is invalid: it must be a non-negative integer.", name, strconv.Quote(text))
	}
	return n, true, nil
}

// strs is the string parameters of names, as given ("" when not), for Call.
func (p params) strs(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i], _, _ = p.str(n)
	}
	return out
}
