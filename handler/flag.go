package handler

import (
	"encoding/json"
	"strconv"
	"strings"
)

// jsonFlag reads the flag name from JSON: true or false, or a string that
// says so as strconv.ParseBool reads it ("true", "false", "1", "0", "t",
// "f", in any case, spaces around ignored). Every flag of a request (DryRun,
// SkipInvalid, Reconcile) is read by it, so they all accept the same
// spellings. Absent or null is nil.
func jsonFlag(name string, raw json.RawMessage) (*bool, *Error) {
	switch t := jsonType(raw); t {
	case "", typeNull:
		return nil, nil
	case typeBoolean:
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return &b, nil
		}
		return nil, errorf(CodeInvalidParameterValue, "%s must be true or false; got %s", name, quote(string(raw)))
	case typeString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errorf(CodeInvalidParameterValue, "%s must be true or false; got a string that cannot be read: %v", name, err)
		}
		return parseFlag(name, s, false)
	default:
		return nil, errorf(CodeInvalidParameterValue, "%s must be true or false; got %s", name, t)
	}
}

// parseFlag reads the flag name from text: a form's or a query's value, or
// a JSON string. bare says whether an empty value means true, as a bare key
// does in a form or a query (?DryRun).
func parseFlag(name, s string, bare bool) (*bool, *Error) {
	s = strings.TrimSpace(s)
	if s == "" && bare {
		b := true
		return &b, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, errorf(CodeInvalidParameterValue, "%s must be true or false; got %s", name, quote(s))
	}
	return &b, nil
}
