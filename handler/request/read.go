package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"scf-cvm-project/handler/answer"
	"slices"
	"strconv"
	"strings"
)

// RawRequest is what a request said, before validation; fields are
// nil/empty when absent.
type Raw struct {
	InstanceIDs    []string // as given, in order (may hold duplicates and bad ids)
	ProjectID      *int64
	Region         string
	DryRun         *bool // nil when the request does not say
	HasInstanceIDs bool  // the key was present at all
	HasProjectID   bool
	SkipInvalid    *bool // nil when absent: SKIP_INVALID decides
	// Async makes a direct invocation answer as an asynchronous one does:
	// unfinished work that a retry can finish is a function error, for
	// SCF to retry (SCF does not tell the function how it was invoked).
	Async bool

	// The tag rules (rulerequest.go): read from JSON requests only.
	Rules     json.RawMessage // as given, when present; checked by ParseRules
	Reconcile bool
}

// wireRequest is the request as JSON spells it. Each field stays raw so that
// it is read leniently and its error names it; a new key is a field here and
// a step in requestFromJSON.
type Wire struct {
	InstanceIds json.RawMessage
	ProjectId   json.RawMessage
	Region      json.RawMessage
	Rules       json.RawMessage
	Reconcile   json.RawMessage
	DryRun      json.RawMessage
	SkipInvalid json.RawMessage
	Async       json.RawMessage
}

// requestFromJSON reads a request from a JSON object; where names data in
// messages.
// A leading byte-order mark is ignored; a key that is not one of Keys is
// refused (CodeUnknownParameter).
func FromJSON(where string, data []byte) (Raw, *answer.Error) {
	data = TrimBOM(data)
	var w Wire
	if err := DecodeObject(where, data, &w); err != nil {
		return Raw{}, err
	}
	if err := CheckObjectKeys(where, data, Keys); err != nil {
		return Raw{}, err
	}
	return FromWire(w)
}

// CheckObjectKeys refuses a key of data, a JSON object that encoding/json
// accepted, that is not one of known (see CheckKeys).
func CheckObjectKeys(where string, data []byte, known []string) *answer.Error {
	keys, err := ObjectKeys(data)
	if err != nil {
		return answer.Errorf(answer.CodeInvalidParameter, "%s cannot be read: %v", where, err)
	}
	return CheckKeys(where, keys, known)
}

// requestFromWire reads each field of w leniently.
func FromWire(w Wire) (Raw, *answer.Error) {
	var raw Raw
	var first *answer.Error
	keep := func(err *answer.Error) {
		if first == nil {
			first = err
		}
	}
	if Present(w.InstanceIds) {
		raw.HasInstanceIDs = true
		ids, err := jsonInstanceIDs(w.InstanceIds)
		keep(err)
		raw.InstanceIDs = ids
	}
	if Present(w.ProjectId) {
		raw.HasProjectID = true
		id, err := ReadProjectID(w.ProjectId)
		keep(err)
		raw.ProjectID = id
	}
	if Present(w.Region) {
		if JSONType(w.Region) != TypeString || json.Unmarshal(w.Region, &raw.Region) != nil {
			keep(answer.Errorf(answer.CodeInvalidParameterValue, "Region must be a string; got %s", JSONType(w.Region)))
		}
		raw.Region = strings.TrimSpace(raw.Region)
	}
	if Present(w.Rules) {
		raw.Rules = w.Rules
	}
	var err *answer.Error
	raw.DryRun, err = ReadFlag("DryRun", w.DryRun)
	keep(err)
	raw.SkipInvalid, err = ReadFlag("SkipInvalid", w.SkipInvalid)
	keep(err)
	reconcile, err := ReadFlag("Reconcile", w.Reconcile)
	keep(err)
	raw.Reconcile = reconcile != nil && *reconcile
	async, err := ReadFlag("Async", w.Async)
	keep(err)
	raw.Async = async != nil && *async
	return raw, first
}

// jsonInstanceIDs reads InstanceIds: an array of strings, kept as given, or
// one comma-separated string.
func jsonInstanceIDs(raw json.RawMessage) ([]string, *answer.Error) {
	switch t := JSONType(raw); t {
	case TypeString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds is not a valid string: %v", err)
		}
		return SplitList(nil, s), nil
	case TypeArray:
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
			return nil, answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds is not a valid array: %v", err)
		}
		ids := make([]string, 0, len(elems))
		for i, e := range elems {
			var s string
			if JSONType(e) != TypeString || json.Unmarshal(e, &s) != nil {
				return ids, answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds must be an array of strings; element %d is %s", i, JSONType(e))
			}
			ids = append(ids, s)
		}
		return ids, nil
	default:
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds must be an array of strings or a comma-separated string; got %s", t)
	}
}

// jsonProjectID reads ProjectId: a JSON integer or a string of digits.
func ReadProjectID(raw json.RawMessage) (*int64, *answer.Error) {
	switch t := JSONType(raw); t {
	case TypeNumber:
		return parseProjectID(string(raw))
	case TypeString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId is not a valid string: %v", err)
		}
		return parseProjectID(s)
	default:
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId must be an integer or a string of digits; got %s", t)
	}
}

// parseProjectID parses a decimal integer; whether it is negative is for
// Validate to judge.
func parseProjectID(s string) (*int64, *answer.Error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId must be an integer; got an empty value")
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId must be an integer; got %s", answer.Quote(s))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId %s is out of range", answer.Quote(s))
	}
	if err != nil {
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId must be an integer; got %s", answer.Quote(s))
	}
	return &n, nil
}

// requestFromValues reads a request from a form or a query; where names it
// in messages.
// A key that is neither one of Keys nor InstanceIds.N is refused
// (CodeUnknownParameter); a leading byte-order mark is ignored.
func FromValues(where string, v url.Values) (Raw, *answer.Error) {
	var raw Raw
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if t := TrimBOMString(k); t != k {
			v = maps.Clone(v)
			v[t] = append(v[t], v[k]...)
			delete(v, k)
			k = t
		}
		if !isKnown(k, Keys) && !isIndexedKey(k, "InstanceIds") {
			return raw, UnknownKey(where, k, Keys)
		}
	}
	var first *answer.Error
	keep := func(err *answer.Error) {
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
			raw.InstanceIDs = SplitList(raw.InstanceIDs, value)
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
			raw.DryRun, err = ParseFlag("DryRun", s, true)
		}
		keep(err)
	}
	if s, ok, err := single(where, v, "Reconcile"); ok {
		var reconcile *bool
		if err == nil {
			reconcile, err = ParseFlag("Reconcile", s, true)
		}
		raw.Reconcile = reconcile != nil && *reconcile
		keep(err)
	}
	if s, ok, err := single(where, v, "SkipInvalid"); ok {
		if err == nil {
			raw.SkipInvalid, err = ParseFlag("SkipInvalid", s, true)
		}
		keep(err)
	}
	if s, ok, err := single(where, v, "Async"); ok {
		var async *bool
		if err == nil {
			async, err = ParseFlag("Async", s, true)
		}
		raw.Async = async != nil && *async
		keep(err)
	}
	return raw, first
}

// single returns the one value of the key name (matched in any case): ok is
// false when it is absent; a bare key has the value "". Differing values
// are refused.
func single(where string, v url.Values, name string) (value string, ok bool, err *answer.Error) {
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
	return values[0], ok, answer.Errorf(answer.CodeInvalidParameterValue, "%s is given %d different values in %s; give it once", name, len(values), where)
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
func SplitList(dst []string, s string) []string {
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
