package request

import (
	"cmp"
	"encoding/json"
	"errors"
	"scf-cvm-project/handler/answer"
	"slices"
	"strconv"
	"strings"
)

// The JSON types, as messages name them.
const (
	TypeObject  = "an object"
	TypeArray   = "an array"
	TypeString  = "a string"
	TypeNumber  = "a number"
	TypeBoolean = "a boolean"
	TypeNull    = "null"
)

// JSONType names the type of a JSON value from its first byte; "" when
// raw is empty (the key was absent). It does not check the rest of raw.
func JSONType(raw []byte) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return TypeObject
		case '[':
			return TypeArray
		case '"':
			return TypeString
		case 't', 'f':
			return TypeBoolean
		case 'n':
			return TypeNull
		}
		return TypeNumber
	}
	return ""
}

// Present reports whether a key was given a value: absent and null are the same.
func Present(raw json.RawMessage) bool {
	t := JSONType(raw)
	return t != "" && t != TypeNull
}

// DecodeObject decodes data, one JSON object, into v, whose fields all accept
// any value (json.RawMessage, the lenient types), in one pass; what names
// data in the message ("the event", "the body").
func DecodeObject(what string, data []byte, v any) *answer.Error {
	t := JSONType(data)
	if t == "" {
		return answer.Errorf(answer.CodeInvalidParameter, "%s is empty; want a JSON object", what)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return answer.Errorf(answer.CodeInvalidParameter, "%s is not valid JSON: %v (at byte %d)", what, err, se.Offset)
		}
		if t == TypeObject {
			return answer.Errorf(answer.CodeInvalidParameter, "%s cannot be read: %v", what, err)
		}
	}
	if t != TypeObject {
		return answer.Errorf(answer.CodeInvalidParameter, "%s must be a JSON object; got %s", what, t)
	}
	return nil
}

// BOM is the UTF-8 byte-order mark, which some tools (PowerShell 5.1) write
// at the start of a file; a request ignores a leading one.
const BOM = "\ufeff"

// FromJSON reads a request from data, a JSON object without its BOM; where
// names data in messages. CheckObjectKeys reads it once, and the lenient types
// its values; JSON that is not valid is refused as encoding/json tells it.
// Otherwise the first value refused, in the order of Keys, is returned with
// what was read.
func FromJSON(where string, data []byte) (Raw, *answer.Error) {
	if JSONType(data) != TypeObject {
		return Raw{}, DecodeObject(where, data, &struct{}{})
	}
	values, err := CheckObjectKeys(where, data, Keys)
	if err != nil {
		return Raw{}, cmp.Or(DecodeObject(where, data, &struct{}{}), err)
	}
	var (
		ids                                   IDs
		projectID                             ProjectID
		region, rules, regions, project       json.RawMessage
		dryRun, skipInvalid, reconcile, async Flag
	)
	// In the order of Keys; the lenient types keep their refusals.
	for i, v := range []json.Unmarshaler{&ids, &projectID, &region, &dryRun, &skipInvalid, &rules, &reconcile, &async, &regions, &project} {
		if values[i] != nil {
			_ = v.UnmarshalJSON(values[i])
		}
	}
	raw := Raw{
		InstanceIDs: ids.List, HasInstanceIDs: ids.Set,
		ProjectID: projectID.ID, HasProjectID: projectID.Set,
		DryRun: dryRun.Value, SkipInvalid: skipInvalid.Value,
		Reconcile: reconcile.Value != nil && *reconcile.Value,
		Async:     async.Value != nil && *async.Value,
	}
	var regionErr *answer.Error
	if Present(region) {
		if JSONType(region) != TypeString || json.Unmarshal(region, &raw.Region) != nil {
			regionErr = answer.Errorf(answer.CodeInvalidParameterValue, "Region must be a string; got %s", JSONType(region))
		}
		raw.Region = strings.TrimSpace(raw.Region)
	}
	if Present(rules) {
		raw.Rules = rules
	}
	if Present(regions) {
		raw.Regions = regions
	}
	if Present(project) {
		raw.ProjectName = project
	}
	if err := cmp.Or(ids.err, projectID.Err, regionErr); err != nil {
		return raw, err
	}
	for _, f := range []struct {
		name string
		Flag
	}{{"DryRun", dryRun}, {"SkipInvalid", skipInvalid}, {"Reconcile", reconcile}, {"Async", async}} {
		if f.bad != "" {
			return raw, answer.Errorf(answer.CodeInvalidParameterValue, "%s must be true or false; got %s", f.name, f.bad)
		}
	}
	return raw, nil
}

// The lenient value types of a JSON request each keep a refusal, naming the
// key, rather than stop the decode, so the other keys are still read for
// the answer to echo.

// IDs is InstanceIds: an array of strings, kept as given, or one
// comma-separated string.
type IDs struct {
	List []string
	Set  bool // given, and not null
	err  *answer.Error
}

// UnmarshalJSON reads an array of strings or a comma-separated string.
func (ids *IDs) UnmarshalJSON(b []byte) error {
	*ids = IDs{Set: Present(b)}
	switch t := JSONType(b); t {
	case TypeNull:
	case TypeString:
		var s string
		_ = json.Unmarshal(b, &s)
		ids.List = SplitList(nil, s)
	case TypeArray:
		// null elements decode as "": the loop below names them.
		if json.Unmarshal(b, &ids.List) == nil && !slices.Contains(ids.List, "") {
			return nil
		}
		var elems []json.RawMessage
		_ = json.Unmarshal(b, &elems)
		ids.List = make([]string, 0, len(elems))
		for i, e := range elems {
			var s string
			if JSONType(e) != TypeString || json.Unmarshal(e, &s) != nil {
				ids.err = answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds must be an array of strings; element %d is %s", i, JSONType(e))
				return nil
			}
			ids.List = append(ids.List, s)
		}
	default:
		ids.err = answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds must be an array of strings or a comma-separated string; got %s", t)
	}
	return nil
}

// ProjectID is ProjectId (a request's or a rule's): a JSON integer or a
// string of digits.
type ProjectID struct {
	ID  *int64
	Set bool          // given, and not null
	Err *answer.Error // its message starts "ProjectId"
}

// UnmarshalJSON reads an integer or a string of digits.
func (p *ProjectID) UnmarshalJSON(b []byte) error {
	*p = ProjectID{Set: Present(b)}
	switch t := JSONType(b); t {
	case TypeNull:
	case TypeNumber:
		p.ID, p.Err = parseProjectID(string(b))
	case TypeString:
		var s string
		_ = json.Unmarshal(b, &s)
		p.ID, p.Err = parseProjectID(s)
	default:
		p.Err = answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId must be an integer or a string of digits; got %s", t)
	}
	return nil
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

// Flag is a request's DryRun, SkipInvalid, Reconcile or Async: true or false,
// or a string strconv.ParseBool reads ("1", "f", ...; any case, spaces
// trimmed). Absent or null is nil.
type Flag struct {
	Value *bool
	// bad says what was given when it is not a flag; FromJSON's refusal
	// names the flag, which the flag does not know.
	bad string
}

// UnmarshalJSON reads true, false or a string that ParseBool reads.
func (f *Flag) UnmarshalJSON(b []byte) error {
	*f = Flag{}
	switch t := JSONType(b); t {
	case TypeNull:
	case TypeBoolean:
		var v bool
		_ = json.Unmarshal(b, &v)
		f.Value = &v
	case TypeString:
		var s string
		_ = json.Unmarshal(b, &s)
		if v, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			f.Value = &v
		} else {
			f.bad = answer.Quote(strings.TrimSpace(s))
		}
	default:
		f.bad = t
	}
	return nil
}
