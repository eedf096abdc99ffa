package request

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"scf-cvm-project/handler/answer"
)

// The lenient value types of a JSON request. Each reads its value with
// encoding/json and keeps a refusal to itself, naming the key, rather than
// stopping the decode: the other keys are still read, for the answer to
// echo, and FromJSON reports the first refusal in a fixed order of keys.

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
		if err := json.Unmarshal(b, &s); err != nil {
			ids.err = answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds is not a valid string: %v", err)
			return nil
		}
		ids.List = SplitList(nil, s)
	case TypeArray:
		// null elements decode as "": the loop below names them.
		if json.Unmarshal(b, &ids.List) == nil && !containsEmpty(ids.List) {
			return nil
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(b, &elems); err != nil {
			ids.err = answer.Errorf(answer.CodeInvalidParameterValue, "InstanceIds is not a valid array: %v", err)
			return nil
		}
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

func containsEmpty(list []string) bool {
	for _, s := range list {
		if s == "" {
			return true
		}
	}
	return false
}

// ProjectID is ProjectId: a JSON integer or a string of digits.
type ProjectID struct {
	ID  *int64
	Set bool // given, and not null
	err *answer.Error
}

// UnmarshalJSON reads an integer or a string of digits.
func (p *ProjectID) UnmarshalJSON(b []byte) error {
	*p = ProjectID{Set: Present(b)}
	switch t := JSONType(b); t {
	case TypeNull:
	case TypeNumber:
		p.ID, p.err = parseProjectID(string(b))
	case TypeString:
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			p.err = answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId is not a valid string: %v", err)
			return nil
		}
		p.ID, p.err = parseProjectID(s)
	default:
		p.err = answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId must be an integer or a string of digits; got %s", t)
	}
	return nil
}

// ReadProjectID reads a ProjectId given as JSON (a rule's): nil when
// absent or null.
func ReadProjectID(raw json.RawMessage) (*int64, *answer.Error) {
	var p ProjectID
	if len(raw) > 0 {
		_ = p.UnmarshalJSON(raw)
	}
	return p.ID, p.err
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

// Flag is a flag of a request (DryRun, SkipInvalid, Reconcile, Async):
// true or false, or a string that says so as strconv.ParseBool reads it
// ("true", "false", "1", "0", "t", "f", in any case, spaces around
// ignored). Every flag is read by it, so they all accept the same
// spellings. Absent or null is nil.
type Flag struct {
	Value *bool
	// bad says what was given when it is not a flag; the refusal names
	// the flag, which the flag does not know (see check).
	bad string
}

// UnmarshalJSON reads true, false or a string that ParseBool reads.
func (f *Flag) UnmarshalJSON(b []byte) error {
	*f = Flag{}
	switch t := JSONType(b); t {
	case TypeNull:
	case TypeBoolean:
		var v bool
		if json.Unmarshal(b, &v) != nil {
			f.bad = answer.Quote(string(b))
			return nil
		}
		f.Value = &v
	case TypeString:
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			f.bad = "a string that cannot be read: " + err.Error()
			return nil
		}
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

// check is the flag's refusal, in the words of the flag name.
func (f Flag) check(name string) *answer.Error {
	if f.bad == "" {
		return nil
	}
	return answer.Errorf(answer.CodeInvalidParameterValue, "%s must be true or false; got %s", name, f.bad)
}

// ParseFlag reads the flag name from a form's or a query's value. bare
// says whether an empty value means true, as a bare key does (?DryRun).
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
