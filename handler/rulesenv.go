package handler

import (
	"strings"
)

// The environment variables of the tag rules, read at start.
const (
	EnvRulesFile    = "RULES_FILE"    // a JSON file of rules shipped in the zip (SCF's variables hold 4 KB in all)
	EnvProjectRules = "PROJECT_RULES" // the rules as inline JSON
)

// maxRulesFile bounds what is read of RULES_FILE.
const maxRulesFile = 1 << 20

// configureRules reads the configured rules into h. Setting both
// RULES_FILE and PROJECT_RULES, a file that cannot be read, a bad rule set,
// or a rule whose project ALLOWED_PROJECT_IDS forbids (h.Security is read
// first) is a configuration error (CodeInvalidConfig): the function refuses
// to run rather than run with rules other than the ones meant.
func (h *Handler) configureRules(getenv func(string) string, readFile func(string) ([]byte, error)) *Error {
	path := strings.TrimSpace(getenv(EnvRulesFile))
	inline := strings.TrimSpace(getenv(EnvProjectRules))
	var data []byte
	var where string
	switch {
	case path != "" && inline != "":
		return errorf(CodeInvalidConfig, "%s and %s are both set; set one of them", EnvRulesFile, EnvProjectRules)
	case path != "":
		b, err := readFile(path)
		if err != nil {
			return errorf(CodeInvalidConfig, "%s: %v", EnvRulesFile, err)
		}
		if len(b) > maxRulesFile {
			return errorf(CodeInvalidConfig, "%s %s is %d bytes; at most %d are read", EnvRulesFile, quote(path), len(b), maxRulesFile)
		}
		data, where = b, EnvRulesFile+" "+quote(path)
	case inline != "":
		data, where = []byte(inline), EnvProjectRules
	default:
		return nil
	}
	rules, err := ParseRules(where, data)
	if err != nil {
		return &Error{Code: CodeInvalidConfig, Message: err.Message}
	}
	if err := h.Security.allowRules(rules); err != nil {
		return &Error{Code: CodeInvalidConfig, Message: where + ": " + err.Message}
	}
	h.Rules = rules
	return nil
}
