package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// RawRequest is what a request said, before validation; fields are
// nil/empty when absent.
type RawRequest struct {
	InstanceIDs    []string // as given, in order (may hold duplicates and bad ids)
	ProjectID      *int64
	Region         string
	DryRun         *bool // nil when the request does not say
	HasInstanceIDs bool  // the key was present at all
	HasProjectID   bool
	SkipInvalid    *bool // nil when absent: SKIP_INVALID decides

	// The tag rules (rulerequest.go): read from JSON requests only.
	Rules     json.RawMessage // as given, when present; checked by ParseRules
	Reconcile bool
}

// RequestFromEvent extracts the request from any kind of event:
//
//   - HTTP: from the body when it is not blank, as a form when Content-Type
//     says application/x-www-form-urlencoded (and the body is not a JSON
//     object), else as a JSON object; from the query when the body is blank.
//   - Timer: from Message, a JSON object or a query string.
//   - Direct: from the payload object.
//
// JSON is {"InstanceIds":["ins-..."],"ProjectId":1045,"Region":"ap-guangzhou"},
// where InstanceIds may also be one comma-separated string and ProjectId a
// string of digits; "DryRun": true (or "true") asks for a dry run, and
// "SkipInvalid": true (or "true") isolates the instances the API refuses.
// A form or query is InstanceIds=ins-a,ins-b&ProjectId=1045:
// InstanceIds may repeat, each value may hold a comma-separated list, and
// InstanceIds.N keys are read in the order of N; DryRun=true (or a bare
// DryRun) asks for a dry run. Key names match in any case.
// Unknown keys are ignored.
//
// On error, the returned RawRequest holds what could be read, for the answer
// to echo.
func RequestFromEvent(ev Event) (RawRequest, *Error) {
	switch ev.Kind {
	case KindAPIGateway, KindFunctionURL:
		if ev.HTTP != nil {
			return requestFromHTTP(ev.HTTP)
		}
	case KindTimer:
		if ev.Timer != nil {
			return requestFromTimer(ev.Timer)
		}
	case KindDirect:
		if ev.direct != nil { // DecodeEvent read it already
			return requestFromWire(*ev.direct)
		}
		return requestFromJSON("the event", ev.Direct)
	}
	return RawRequest{}, errorf(CodeInternalError, "the event of kind %v has nothing to read a request from", ev.Kind)
}

// wireRequest is the request as JSON spells it. Each field stays raw so that
// it is read leniently and its error names it; a new key is a field here and
// a step in requestFromJSON.
type wireRequest struct {
	InstanceIds json.RawMessage
	ProjectId   json.RawMessage
	Region      json.RawMessage
	Rules       json.RawMessage
	Reconcile   json.RawMessage
	DryRun      json.RawMessage
	SkipInvalid json.RawMessage
}

// requestFromJSON reads a request from a JSON object; where names data in
// messages.
func requestFromJSON(where string, data []byte) (RawRequest, *Error) {
	var w wireRequest
	if err := decodeObject(where, data, &w); err != nil {
		return RawRequest{}, err
	}
	return requestFromWire(w)
}

// requestFromWire reads each field of w leniently.
func requestFromWire(w wireRequest) (RawRequest, *Error) {
	var raw RawRequest
	var first *Error
	keep := func(err *Error) {
		if first == nil {
			first = err
		}
	}
	if present(w.InstanceIds) {
		raw.HasInstanceIDs = true
		ids, err := jsonInstanceIDs(w.InstanceIds)
		keep(err)
		raw.InstanceIDs = ids
	}
	if present(w.ProjectId) {
		raw.HasProjectID = true
		id, err := jsonProjectID(w.ProjectId)
		keep(err)
		raw.ProjectID = id
	}
	if present(w.Region) {
		if jsonType(w.Region) != typeString || json.Unmarshal(w.Region, &raw.Region) != nil {
			keep(errorf(CodeInvalidParameterValue, "Region must be a string; got %s", jsonType(w.Region)))
		}
		raw.Region = strings.TrimSpace(raw.Region)
	}
	if present(w.Rules) {
		raw.Rules = w.Rules
	}
	var err *Error
	raw.DryRun, err = jsonFlag("DryRun", w.DryRun)
	keep(err)
	raw.SkipInvalid, err = jsonFlag("SkipInvalid", w.SkipInvalid)
	keep(err)
	reconcile, err := jsonFlag("Reconcile", w.Reconcile)
	keep(err)
	raw.Reconcile = reconcile != nil && *reconcile
	return raw, first
}

// jsonInstanceIDs reads InstanceIds: an array of strings, kept as given, or
// one comma-separated string.
func jsonInstanceIDs(raw json.RawMessage) ([]string, *Error) {
	switch t := jsonType(raw); t {
	case typeString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errorf(CodeInvalidParameterValue, "InstanceIds is not a valid string: %v", err)
		}
		return splitList(nil, s), nil
	case typeArray:
		// The common case in one pass; null elements decode as "" and take
		// the slow path below, which names them.
		if list, ok := plainStringArray(raw); ok {
			return list, nil
		}
		var list []string
		if json.Unmarshal(raw, &list) == nil && !slices.Contains(list, "") {
			return list, nil
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, errorf(CodeInvalidParameterValue, "InstanceIds is not a valid array: %v", err)
		}
		ids := make([]string, 0, len(elems))
		for i, e := range elems {
			var s string
			if jsonType(e) != typeString || json.Unmarshal(e, &s) != nil {
				return ids, errorf(CodeInvalidParameterValue, "InstanceIds must be an array of strings; element %d is %s", i, jsonType(e))
			}
			ids = append(ids, s)
		}
		return ids, nil
	default:
		return nil, errorf(CodeInvalidParameterValue, "InstanceIds must be an array of strings or a comma-separated string; got %s", t)
	}
}

// jsonProjectID reads ProjectId: a JSON integer or a string of digits.
func jsonProjectID(raw json.RawMessage) (*int64, *Error) {
	switch t := jsonType(raw); t {
	case typeNumber:
		return parseProjectID(string(raw))
	case typeString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errorf(CodeInvalidParameterValue, "ProjectId is not a valid string: %v", err)
		}
		return parseProjectID(s)
	default:
		return nil, errorf(CodeInvalidParameterValue, "ProjectId must be an integer or a string of digits; got %s", t)
	}
}

// parseProjectID parses a decimal integer; whether it is negative is for
// Validate to judge.
func parseProjectID(s string) (*int64, *Error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errorf(CodeInvalidParameterValue, "ProjectId must be an integer; got an empty value")
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return nil, errorf(CodeInvalidParameterValue, "ProjectId must be an integer; got %s", quote(s))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return nil, errorf(CodeInvalidParameterValue, "ProjectId %s is out of range", quote(s))
	}
	if err != nil {
		return nil, errorf(CodeInvalidParameterValue, "ProjectId must be an integer; got %s", quote(s))
	}
	return &n, nil
}

// requestFromValues reads a request from a form or a query; where names it
// in messages.
func requestFromValues(where string, v url.Values) (RawRequest, *Error) {
	var raw RawRequest
	var first *Error
	keep := func(err *Error) {
		if first == nil {
			first = err
		}
	}

	var plain, indexed []string
	for k := range v {
		switch {
		case strings.EqualFold(k, "InstanceIds"):
			plain = append(plain, k)
		case isIndexedKey(k, "InstanceIds"):
			indexed = append(indexed, k)
		}
	}
	slices.Sort(plain)
	slices.SortFunc(indexed, compareIndexedKeys)
	raw.HasInstanceIDs = len(plain)+len(indexed) > 0
	for _, k := range append(plain, indexed...) {
		for _, value := range v[k] {
			raw.InstanceIDs = splitList(raw.InstanceIDs, value)
		}
	}

	if s, ok, err := single(where, v, "ProjectId"); ok {
		raw.HasProjectID = true
		if err == nil {
			raw.ProjectID, err = parseProjectID(s)
		}
		keep(err)
	}
	if s, ok, err := single(where, v, "Region"); ok {
		raw.Region = strings.TrimSpace(s)
		keep(err)
	}
	if s, ok, err := single(where, v, "DryRun"); ok {
		if err == nil {
			raw.DryRun, err = parseFlag("DryRun", s, true)
		}
		keep(err)
	}
	if s, ok, err := single(where, v, "Reconcile"); ok {
		var reconcile *bool
		if err == nil {
			reconcile, err = parseFlag("Reconcile", s, true)
		}
		raw.Reconcile = reconcile != nil && *reconcile
		keep(err)
	}
	if s, ok, err := single(where, v, "SkipInvalid"); ok {
		if err == nil {
			raw.SkipInvalid, err = parseFlag("SkipInvalid", s, true)
		}
		keep(err)
	}
	return raw, first
}

// single returns the one value of the key name (matched in any case): ok is
// false when it is absent; a bare key has the value "". Differing values
// are refused.
func single(where string, v url.Values, name string) (value string, ok bool, err *Error) {
	var values []string
	for k, vs := range v {
		if strings.EqualFold(k, name) {
			ok = true
			values = append(values, vs...)
		}
	}
	slices.Sort(values)
	values = slices.Compact(values)
	switch len(values) {
	case 0:
		return "", ok, nil
	case 1:
		return values[0], ok, nil
	}
	return values[0], ok, errorf(CodeInvalidParameterValue, "%s is given %d different values in %s; give it once", name, len(values), where)
}

// isIndexedKey reports whether k is name.N (name in any case, N digits).
func isIndexedKey(k, name string) bool {
	if len(k) <= len(name)+1 || !strings.EqualFold(k[:len(name)], name) || k[len(name)] != '.' {
		return false
	}
	return strings.IndexFunc(k[len(name)+1:], func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// compareIndexedKeys orders name.N keys by the number N, then by the key.
func compareIndexedKeys(a, b string) int {
	na := strings.TrimLeft(a[strings.IndexByte(a, '.')+1:], "0")
	nb := strings.TrimLeft(b[strings.IndexByte(b, '.')+1:], "0")
	if c := len(na) - len(nb); c != 0 {
		return c
	}
	if c := strings.Compare(na, nb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// splitList appends the comma-separated items of s, trimmed, empty ones
// dropped.
func splitList(dst []string, s string) []string {
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			dst = append(dst, item)
		}
	}
	return dst
}

// plainStringArray reads raw, a valid JSON array, when every element is a
// non-empty string without escapes or control characters: instance ids
// always are, and reading them this way costs a tenth of json.Unmarshal.
// ok is false for anything else, which the caller reads the general way.
func plainStringArray(raw []byte) (list []string, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	list = make([]string, 0, bytes.Count(raw, []byte{','})+1)
	if i = skipSpace(raw, i+1); i < len(raw) && raw[i] == ']' {
		return list, skipSpace(raw, i+1) == len(raw)
	}
	for i < len(raw) {
		if raw[i] != '"' {
			return nil, false
		}
		end := i + 1
		for end < len(raw) && raw[end] != '"' {
			if c := raw[end]; c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, false
			}
			end++
		}
		if end == len(raw) || end == i+1 {
			return nil, false
		}
		list = append(list, string(raw[i+1:end]))
		i = skipSpace(raw, end+1)
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == ']':
			return list, skipSpace(raw, i+1) == len(raw)
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
