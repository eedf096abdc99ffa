package answer

// RuleReport is what one rule did, in the answer's Rules.
type RuleReport struct {
	Tag              RuleTag   `json:"Tag"`
	ProjectId        int64     `json:"ProjectId"`
	Project          string    `json:"Project,omitempty"` // the project's name, when the rule gives it
	Matched          int       `json:"Matched"`           // instances with the tag
	AlreadyInProject int       `json:"AlreadyInProject"`  // of those, in ProjectId already
	Moved            []string  `json:"Moved"`             // of those, moved (in a dry run: to move)
	Conflicts        []string  `json:"Conflicts"`         // of those, sent elsewhere by another rule, left where they are
	Failed           []Failure `json:"Failed"`            // moves that failed, and a failed listing (InstanceId "")
	RequestIds       []string  `json:"RequestIds"`        // of the calls that listed and moved them
}

// RuleTag is a rule's tag in the answer: Value is left out for any value.
type RuleTag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitempty"`
}
