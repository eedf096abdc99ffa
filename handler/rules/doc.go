// Package rules is the tag rules (a tag sends its instances into a
// project): Parse reads a rule set, Decide applies it (pure), Validate checks
// a request for rules, and a Run lists, decides and moves through the
// Lister and Mover it is given. See docs/tag-rules.md.
package rules
