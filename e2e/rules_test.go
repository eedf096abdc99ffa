package e2e

import "strings"

// isRulesSample reports whether a sample is a request for the tag rules
// (rules-*.json) or an EventBridge delivery (eventbridge-*.json).
func isRulesSample(name string) bool {
	return strings.HasPrefix(name, "rules-") || strings.HasPrefix(name, "eventbridge-")
}
