package handler

import (
	"encoding/json"
	"strconv"
	"strings"
)

// jsonSkipInvalid reads SkipInvalid from JSON: true or false, or a string
// saying so ("true", "false", "1", "0", in any case).
func jsonSkipInvalid(raw json.RawMessage) (*bool, *Error) {
	switch t := jsonType(raw); t {
	case typeBoolean:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, errorf(CodeInvalidParameterValue, "SkipInvalid must be true or false; got %s", quote(string(raw)))
		}
		return &b, nil
	case typeString:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errorf(CodeInvalidParameterValue, "SkipInvalid is not a valid string: %v", err)
		}
		return parseSkipInvalid(s, false)
	default:
		return nil, errorf(CodeInvalidParameterValue, "SkipInvalid must be true or false; got %s", t)
	}
}

// parseSkipInvalid reads SkipInvalid from text; a bare key (bare true) in a
// form or query means true.
func parseSkipInvalid(s string, bare bool) (*bool, *Error) {
	s = strings.TrimSpace(s)
	if s == "" && bare {
		b := true
		return &b, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, errorf(CodeInvalidParameterValue, "SkipInvalid must be true or false; got %s", quote(s))
	}
	return &b, nil
}

// skipInvalid says whether to isolate offending instances for req: the
// request's SkipInvalid when it gives one, else the function's default
// (SKIP_INVALID).
func (h *Handler) skipInvalid(req Request) bool {
	if req.SkipInvalid != nil {
		return *req.SkipInvalid
	}
	return h.SkipInvalid
}
