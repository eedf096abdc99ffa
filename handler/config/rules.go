package config

import (
	"errors"
	"fmt"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/rules"
	"strings"
)

// maxRulesFile bounds what is read of RULES_FILE.
const maxRulesFile = 1 << 20

// readRules reads the configured rules. Setting both RULES_FILE and
// PROJECT_RULES, a file that cannot be read, a bad rule set, or a rule
// whose project ALLOWED_PROJECT_IDS forbids (security) is an error: the
// function refuses to run rather than run with rules other than the ones
// meant.
func readRules(getenv func(string) string, readFile func(string) ([]byte, error), security guard.Security) ([]rules.Rule, error) {
	path := strings.TrimSpace(getenv(rules.EnvRulesFile))
	inline := strings.TrimSpace(getenv(rules.EnvProjectRules))
	var data []byte
	var where string
	switch {
	case path != "" && inline != "":
		return nil, fmt.Errorf("%s and %s are both set; set one of them", rules.EnvRulesFile, rules.EnvProjectRules)
	case path != "":
		b, err := readFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rules.EnvRulesFile, err)
		}
		if len(b) > maxRulesFile {
			return nil, fmt.Errorf("%s %s is %d bytes; at most %d are read", rules.EnvRulesFile, answer.Quote(path), len(b), maxRulesFile)
		}
		data, where = b, rules.EnvRulesFile+" "+answer.Quote(path)
	case inline != "":
		data, where = []byte(inline), rules.EnvProjectRules
	default:
		return nil, nil
	}
	set, err := rules.Parse(where, data)
	if err != nil {
		return nil, errors.New(err.Message)
	}
	if err := security.AllowRuleProjects(rules.IDs(set)); err != nil { // named projects: once resolved
		return nil, errors.New(where + ": " + err.Message)
	}
	return set, nil
}
