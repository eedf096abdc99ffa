// Package rules is the tag rules: a rule sends the instances that have a
// tag into a project. Parse reads a rule set, Decide applies it to
// instances as they are (pure), Validate checks a request for the rules,
// and Run lists, decides and moves, with the Lister and the Mover it is
// given, moving nothing when that would be more than its MaxInstances
// (MAX_INSTANCES); its reports' Failed name exactly the instances that did
// not move.
package rules
