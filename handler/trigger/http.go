package trigger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"mime"
	"net/url"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
	"slices"
	"strings"

	"github.com/tencentyun/scf-go-lib/events"
)

// HTTPRequest is an HTTP request as API Gateway or the function URL hands
// it to the function.
type HTTPRequest struct {
	Method  string
	Path    string
	Headers map[string]string // keys lower-cased
	Query   url.Values        // from `queryString` only
	Body    []byte            // base64-decoded when isBase64Encoded

	// From requestContext. RequestID falls back to the x-api-requestid
	// header, where API Gateway puts it when requestContext leaves it out;
	// it is empty for the function URL. SourceIP is, for the function URL,
	// its x-scf-remote-addr header (the caller's address, which SCF sets).
	RequestID, SourceIP, Stage, ServiceID string
	// IdentitySecretID is requestContext.identity.secretId: the key with
	// which API Gateway authenticated the caller, when it did.
	IdentitySecretID string
}

// decodeHTTP decodes an API Gateway or function URL event from its
// top-level fields. queryStringParameters, pathParameters, headerParameters
// and stageVariables are ignored: they hold only what the API declares;
// queryString holds the real query.
func decodeHTTP(kind Kind, p *probe) (Event, *answer.Error) {
	what := eventOf[kind]
	var (
		headers  map[string]string
		method   string
		path     string
		isBase64 bool
		// scf-go-lib's type, whose Identity the function does not use.
		rc *events.APIGatewayRequestContext
	)
	if err := decodeFields(what,
		field{"headers", p.Headers, &headers},
		field{"httpMethod", p.HTTPMethod, &method},
		field{"path", p.Path, &path},
		field{"isBase64Encoded", p.IsBase64Encoded, &isBase64},
		field{"requestContext", p.RequestContext, &rc},
	); err != nil {
		if headers != nil { // enough to authenticate the caller
			return Event{Kind: kind, HTTP: &HTTPRequest{Method: method, Headers: lowerKeys(headers)}}, err
		}
		return Event{Kind: kind}, err
	}
	req := &HTTPRequest{
		Method:  method,
		Path:    path,
		Headers: lowerKeys(headers),
	}
	var err *answer.Error
	if req.Query, err = decodeQueryString(what, p.QueryString); err != nil {
		return Event{Kind: kind, HTTP: req}, err
	}
	if req.Body, err = decodeBody(what, p.Body, isBase64); err != nil {
		return Event{Kind: kind, HTTP: req}, err
	}
	if rc != nil {
		req.RequestID, req.SourceIP, req.Stage, req.ServiceID = rc.RequestID, rc.SourceIP, rc.Stage, rc.ServiceID
		if rc.Identity.SecretID != nil {
			req.IdentitySecretID = *rc.Identity.SecretID
		}
	}
	if req.RequestID == "" && kind == KindAPIGateway {
		req.RequestID = req.Headers["x-api-requestid"]
	}
	if addr := strings.TrimSpace(req.Headers["x-scf-remote-addr"]); addr != "" && kind == KindFunctionURL {
		req.SourceIP = addr
	}
	return Event{Kind: kind, HTTP: req}, nil
}

// decodeQueryString reads queryString with scf-go-lib's
// events.APIGatewayQueryString, which takes each value as a string, an array
// of strings, or true for a bare key (an empty list). Absent or null is an
// empty query.
func decodeQueryString(what string, raw json.RawMessage) (url.Values, *answer.Error) {
	if !request.Present(raw) {
		return url.Values{}, nil
	}
	if t := request.JSONType(raw); t != request.TypeObject {
		return nil, answer.Errorf(answer.CodeInvalidParameter, "%s has the wrong type at queryString: want an object, got %s", what, t)
	}
	var qs events.APIGatewayQueryString
	if err := json.Unmarshal(raw, &qs); err != nil {
		return nil, answer.Errorf(answer.CodeInvalidParameter, "%s has a bad queryString: each value must be a string, an array of strings or true", what)
	}
	return url.Values(qs), nil
}

// decodeBody returns the body's bytes. SCF sends a string (base64 when
// isBase64Encoded); a JSON object or array, as hand-written test events
// often have, is taken as the JSON text itself.
func decodeBody(what string, raw json.RawMessage, isBase64 bool) ([]byte, *answer.Error) {
	var body []byte
	switch t := request.JSONType(raw); t {
	case "", request.TypeNull:
	case request.TypeObject, request.TypeArray:
		body = bytes.TrimSpace(raw)
	case request.TypeString:
		var s string
		_ = json.Unmarshal(raw, &s) // a string of the event Decode read whole
		if !isBase64 {
			body = []byte(s)
			break
		}
		var err error
		if body, err = decodeBase64(s); err != nil {
			return nil, answer.Errorf(answer.CodeInvalidParameter, "%s says isBase64Encoded but its body is not base64: %v", what, err)
		}
	default:
		return nil, answer.Errorf(answer.CodeInvalidParameter, "%s has the wrong type at body: want a string, got %s", what, t)
	}
	body = bytes.TrimPrefix(body, []byte(request.BOM))
	if len(body) == 0 {
		return nil, nil
	}
	if len(body) > request.MaxRequestBytes {
		return nil, answer.Errorf(answer.CodeRequestTooLarge, "the body is %d bytes; at most %d bytes are accepted", len(body), request.MaxRequestBytes)
	}
	return body, nil
}

// decodeBase64 decodes standard base64, with or without its padding; line
// breaks are ignored.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, rawErr := base64.RawStdEncoding.DecodeString(s); rawErr == nil {
			return raw, nil
		}
	}
	return b, err
}

// lowerKeys returns h with lower-cased keys. When two keys differ only in
// case, the one already in lower case wins, else the first in sorted order,
// so the result does not depend on map order.
func lowerKeys(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		lk := strings.ToLower(k)
		if _, dup := out[lk]; dup && k != lk {
			continue
		}
		out[lk] = h[k]
	}
	return out
}

// requestFromHTTP reads the request from the body when there is one, else
// from the query.
func requestFromHTTP(h *HTTPRequest) (request.Raw, *answer.Error) {
	body := bytes.TrimSpace(h.Body)
	if len(body) == 0 {
		return request.FromValues("the query", h.Query)
	}
	// A form by its media type, as the guard's check reads it; a JSON body
	// sent as a form is what `curl -d '{...}'` does: it is JSON.
	if mediaType, _, _ := mime.ParseMediaType(h.Headers["content-type"]); mediaType == "application/x-www-form-urlencoded" && body[0] != '{' {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return request.Raw{}, answer.Errorf(answer.CodeInvalidParameter, "the body is not a valid form (application/x-www-form-urlencoded): %v", err)
		}
		return request.FromValues("the body", form)
	}
	return request.FromJSON("the body", body)
}
