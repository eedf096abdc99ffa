package emulator

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"scf-cvm-project/signer"
)

// maxBody is the largest request body read; 100 IDs take about 3 KiB.
const maxBody = 1 << 20

// request is what the emulator reads from one HTTP request, before any check.
type request struct {
	endpoint    string
	service     string // the service a TC3 credential scope must name; Service when empty
	tc3         bool
	sigMethod   string // as sent, "HmacSHA1" when a v1 request names none
	action      string
	region      string
	version     string
	versionSent bool
	secretID    string
	nonce       string
	token       string
	timestamp   string
	signature   string

	// What the signature covers.
	httpMethod, host, path, query string
	params                        map[string]string // v1: every parameter, Signature included
	contentType                   string            // TC3
	body                          []byte            // TC3
	auth                          tc3Auth           // TC3

	ids         []string
	projectID   string
	projectSent bool

	// DescribeInstances (describe.go).
	filters               []Filter
	offset, limit         string
	offsetSent, limitSent bool
	describeErr           *apiError // answered where paramErr is

	// ModifyInstancesAttribute (modifyattr.go).
	securityGroups   []string
	sgSent           bool      // SecurityGroups given (an empty TC3 array included)
	instanceNameSent bool      // InstanceName given
	attributeErr     *apiError // answered where paramErr is

	requestID string // the RequestId the emulator answers with

	fatal    *apiError // answered before any other check
	paramErr *apiError // answered after authentication, before the other parameter checks
}

// oldShape reports whether the answer takes the legacy endpoint's old shape.
func (q *request) oldShape() bool { return q.endpoint == EndpointLegacy && !q.versionSent }

func (q *request) call(requestID string) Call {
	return Call{
		Endpoint: q.endpoint, SignatureMethod: q.sigMethod,
		Action: q.action, Region: q.region, Version: q.version, SecretID: q.secretID, Nonce: q.nonce,
		HasToken: q.token != "", InstanceIDs: q.ids, ProjectID: q.projectID, RequestID: requestID,
		Filters: q.filters, Offset: q.offset, Limit: q.limit, SecurityGroups: q.securityGroups,
	}
}

// readRequest reads r, sent to endpoint, into a request.
func readRequest(r *http.Request, endpoint string) *request {
	q := &request{endpoint: endpoint, httpMethod: r.Method, host: r.Host, path: r.URL.Path, query: r.URL.RawQuery}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		q.fatal = errorf(CodeInvalidParameter, "The request body could not be read: %v.", err)
		return q
	case len(body) > maxBody:
		q.fatal = errorf(CodeRequestSizeLimit, "The request body is larger than %d bytes.", maxBody)
		return q
	}
	if endpoint == EndpointAPI3 && strings.HasPrefix(r.Header.Get("Authorization"), string(signer.TC3HmacSHA256)) {
		readTC3(q, r, body)
		return q
	}
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		raw = string(body)
	}
	readV1(q, raw)
	if q.signature == "" && endpoint == EndpointLegacy && r.Header.Get("Authorization") != "" && q.fatal == nil {
		q.fatal = errorf(CodeSignatureFailure, "The request carries no `Signature` parameter: the legacy endpoint %s accepts only v1 signatures (HmacSHA1, HmacSHA256), not an Authorization header.", PathLegacy)
	}
	return q
}

// readV1 reads the parameters of a v1 request from a form or query string.
func readV1(q *request, raw string) {
	values, err := url.ParseQuery(raw) // keeps the pairs it could read
	if err != nil {
		q.fatal = errorf(CodeInvalidParameter, "The request parameters are not valid %s encoding.", "application/x-www-form-urlencoded")
	}
	q.params = make(map[string]string, len(values))
	for _, name := range slices.Sorted(maps.Keys(values)) {
		vs := values[name]
		if len(vs) > 1 && q.fatal == nil {
			q.fatal = errorf(CodeInvalidParameter, "The parameter `%s` is given %d times; give it once.", name, len(vs))
		}
		q.params[name] = vs[0]
	}
	p := q.params
	q.signature, q.secretID, q.timestamp, q.nonce = p["Signature"], p["SecretId"], p["Timestamp"], p["Nonce"]
	q.action, q.region, q.token = p["Action"], p["Region"], p["Token"]
	q.version, q.versionSent = p["Version"]
	q.sigMethod = p["SignatureMethod"]
	if _, ok := p["SignatureMethod"]; !ok {
		q.sigMethod = string(signer.HmacSHA1)
	}
	q.projectID, q.projectSent = p["ProjectId"]
	q.ids, q.paramErr = v1InstanceIDs(p)
	readV1Describe(q)
	readV1Attribute(q)
}

// v1InstanceIDs returns the values of InstanceIds.N (or InstanceIds_N) in
// the order of N.
func v1InstanceIDs(params map[string]string) ([]string, *apiError) {
	return v1List(params, "InstanceIds", "instance ID")
}

// v1List returns the values of the list parameter name.N (or name_N) in
// the order of N; item names an item in messages. A bare name is refused.
func v1List(params map[string]string, name, item string) ([]string, *apiError) {
	type indexed struct {
		n          int
		param, val string
	}
	var found []indexed
	var bad *apiError // the first problem, in the order of the names
	report := func(err *apiError) {
		if bad == nil {
			bad = err
		}
	}
	for _, param := range slices.Sorted(maps.Keys(params)) {
		val := params[param]
		if param == name {
			report(errorf(CodeInvalidParameter, "The parameter `%s` must be given as %s.N, one parameter per %s.", name, name, item))
			continue
		}
		suffix, ok := strings.CutPrefix(param, name+".")
		if !ok {
			if suffix, ok = strings.CutPrefix(param, name+"_"); !ok {
				continue
			}
		}
		n, err := strconv.Atoi(suffix)
		if err != nil || strings.TrimLeft(suffix, "0123456789") != "" {
			report(errorf(CodeInvalidParameter, "The parameter `%s` is not %s.N with N a non-negative integer.", param, name))
			continue
		}
		found = append(found, indexed{n, param, val})
	}
	slices.SortFunc(found, func(a, b indexed) int {
		if a.n != b.n {
			return a.n - b.n
		}
		return strings.Compare(a.param, b.param)
	})
	vals := make([]string, len(found))
	for i, f := range found {
		vals[i] = f.val
		if i > 0 && found[i-1].n == f.n {
			report(errorf(CodeInvalidParameter, "The parameters `%s` and `%s` give the same index %d; give each index once.", found[i-1].param, f.param, f.n))
		}
	}
	if len(vals) == 0 {
		vals = nil
	}
	return vals, bad
}
