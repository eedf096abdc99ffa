package request

import (
	"encoding/json"
	"scf-cvm-project/handler/answer"
	"strconv"
	"strings"
)

// jsonFlag reads the flag name from JSON: true or false, or a string that
// says so as strconv.ParseBool reads it ("true", "false", "1", "0", "t",
// "f", in any case, spaces around ignored). Every flag of a request (DryRun,
// SkipInvalid, Reconcile) is read by it, so they all accept the same
// spellings. Absent or null is nil.
func ReadFlag(name string, raw json.RawMessage) (*bool, *answer.Error) {
	switch t := JSONType(raw); t {
	case "", TypeNull:
		return nil, nil
	case TypeBoolean:
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return &b, nil
		}
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "%s must be true or false; got %s", name, answer.Quote(string(raw)))
	case TypeString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, answer.Errorf(answer.CodeInvalidParameterValue, "%s must be true or false; got a string that cannot be read: %v", name, err)
		}
		return ParseFlag(name, s, false)
	default:
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "%s must be true or false; got %s", name, t)
	}
}

// parseFlag reads the flag name from text: a form's or a query's value, or
// a JSON string. bare says whether an empty value means true, as a bare key
// does in a form or a query (?DryRun).
func ParseFlag(name, s string, bare bool) (*bool, *answer.Error) {
	s = strings.TrimSpace(s)
	if s == "" && bare {
		b := true
		return &b, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "%s must be true or false; got %s", name, answer.Quote(s))
	}
	return &b, nil
}
