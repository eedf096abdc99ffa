package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"scf-cvm-project/signer"
)

// tc3Auth is a parsed TC3-HMAC-SHA256 Authorization header:
// "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
// SignedHeaders=content-type;host, Signature=<hex>".
type tc3Auth struct {
	credential    string // as sent
	date, service string
	scopeOK       bool // credential is <id>/<date>/<service>/tc3_request
	signedHeaders string
}

// parseTC3Auth returns the parts of the header h and the signature.
func parseTC3Auth(h string) (a tc3Auth, secretID, signature string) {
	rest := strings.TrimPrefix(h, string(signer.TC3HmacSHA256))
	for part := range strings.SplitSeq(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.TrimSpace(name) {
		case "Credential":
			a.credential = value
		case "SignedHeaders":
			a.signedHeaders = value
		case "Signature":
			signature = value
		}
	}
	scope := strings.Split(a.credential, "/")
	secretID = scope[0]
	if len(scope) == 4 && scope[3] == "tc3_request" {
		a.date, a.service, a.scopeOK = scope[1], scope[2], true
	}
	return a, secretID, signature
}

// readTC3 reads a TC3-signed request: its headers and JSON body.
func readTC3(q *request, r *http.Request, body []byte) {
	q.tc3 = true
	q.sigMethod = string(signer.TC3HmacSHA256)
	q.auth, q.secretID, q.signature = parseTC3Auth(r.Header.Get("Authorization"))
	q.action = r.Header.Get("X-TC-Action")
	q.region = r.Header.Get("X-TC-Region")
	q.timestamp = r.Header.Get("X-TC-Timestamp")
	q.token = r.Header.Get("X-TC-Token")
	q.version = r.Header.Get("X-TC-Version")
	q.versionSent = len(r.Header.Values("X-TC-Version")) > 0
	q.contentType = r.Header.Get("Content-Type")
	q.body = body
	q.ids, q.projectID, q.projectSent, q.paramErr = tc3Params(body)
	readTC3Describe(q)
	readTC3Attribute(q)
}

// tc3Params reads InstanceIds and ProjectId from a JSON body. ProjectId is
// returned as its JSON text.
func tc3Params(body []byte) (ids []string, projectID string, projectSent bool, err *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, "", false, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil, "", false, errorf(CodeInvalidParameter, "The request body is not a JSON object.")
	}
	if raw, ok := fields["ProjectId"]; ok && !isNull(raw) {
		projectID, projectSent = string(bytes.TrimSpace(raw)), true
	}
	raw, ok := fields["InstanceIds"]
	if !ok || isNull(raw) {
		return nil, projectID, projectSent, nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, projectID, projectSent, errorf(CodeInvalidParameterValue, "The parameter `InstanceIds` must be an array of strings, not %s.", jsonKind(raw))
	}
	ids = make([]string, 0, len(items))
	for i, item := range items {
		var id string
		if json.Unmarshal(item, &id) != nil {
			return ids, projectID, projectSent, errorf(CodeInvalidParameterValue, "The parameter `InstanceIds` must be an array of strings: item %d is %s.", i, jsonKind(item))
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		ids = nil
	}
	return ids, projectID, projectSent, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonKind names the kind of a JSON value, for messages.
func jsonKind(raw json.RawMessage) string {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 {
		return "empty"
	}
	switch s[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
