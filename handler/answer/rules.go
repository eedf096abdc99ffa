package answer

import "scf-cvm-project/cvm/batch"

// RuleReport is what one rule did, in the answer's Rules.
type RuleReport struct {
	Tag              RuleTag       `json:"Tag"`
	ProjectId        int64         `json:"ProjectId"`
	Project          string        `json:"Project,omitempty"` // the project's name, when the rule gives it
	Matched          int           `json:"Matched"`           // instances with the tag
	AlreadyInProject int           `json:"AlreadyInProject"`  // of those, in ProjectId already
	Moved            List[string]  `json:"Moved"`             // of those, moved (in a dry run: to move)
	Conflicts        List[string]  `json:"Conflicts"`         // of those, sent elsewhere by another rule, left where they are
	Failed           List[Failure] `json:"Failed"`            // moves that failed, and a failed listing (InstanceId "")
	RequestIds       List[string]  `json:"RequestIds"`        // of the calls that listed and moved them
}

// RuleTag is a rule's tag in the answer: Value is left out for any value.
type RuleTag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitempty"`
}

// Counts are a reconciliation's compliance counts: the instances a rule
// Matched (its tag), of those already Compliant (in its project), Moved
// (in a dry run: to move), Failed, in Conflicts (rules disagree: left
// where they are), and Skipped (recycled, terminating, or busy with
// another operation until the answer was due).
type Counts struct {
	Matched   int `json:"Matched"`
	Compliant int `json:"Compliant"`
	Moved     int `json:"Moved"`
	Failed    int `json:"Failed"`
	Conflicts int `json:"Conflicts"`
	Skipped   int `json:"Skipped"`
}

// Compliance is the summary of a reconciliation (and of its dry run):
// the counts per rule and their sums (an instance two rules match counts
// in each).
type Compliance struct {
	Counts
	Rules List[RuleCounts] `json:"Rules"`
}

// RuleCounts are one rule's counts.
type RuleCounts struct {
	Tag       RuleTag `json:"Tag"`
	ProjectId int64   `json:"ProjectId"`
	Project   string  `json:"Project,omitempty"`
	Counts
}

// RegionReport is one region's section of a reconciliation: its own code
// (a region that failed leaves the others going), its compliance, and,
// when it was handed to an asynchronous invocation (a fan-out), which.
type RegionReport struct {
	Region     string      `json:"Region"`
	RequestId  string      `json:"RequestId"`
	Code       string      `json:"Code"`
	Message    string      `json:"Message"`
	Compliance Compliance  `json:"Compliance"`
	HandedOver *HandedOver `json:"HandedOver,omitempty"`
}

// HandedOver is the asynchronous invocation (SCF Invoke, InvocationType
// Event) a region was handed to: SCF's own RequestId for it.
type HandedOver struct {
	FunctionRequestId string `json:"FunctionRequestId"`
}

// ComplianceOf sums what each rule reported.
func ComplianceOf(reports []RuleReport) Compliance {
	c := Compliance{Rules: make([]RuleCounts, len(reports))}
	for i, r := range reports {
		n := Counts{Matched: r.Matched, Compliant: r.AlreadyInProject, Moved: len(r.Moved), Conflicts: len(r.Conflicts)}
		for _, f := range r.Failed {
			switch {
			case f.InstanceId == "": // a listing, not an instance
			case skipped(f.Code):
				n.Skipped++
			default:
				n.Failed++
			}
		}
		c.Rules[i] = RuleCounts{Tag: r.Tag, ProjectId: r.ProjectId, Project: r.Project, Counts: n}
		c.Matched += n.Matched
		c.Compliant += n.Compliant
		c.Moved += n.Moved
		c.Failed += n.Failed
		c.Conflicts += n.Conflicts
		c.Skipped += n.Skipped
	}
	return c
}

// skipped reports whether an instance that did not move was set aside:
// recycled, terminating, launch failed, or busy.
func skipped(code string) bool {
	switch code {
	case batch.CodeBusy, batch.CodeMutexTaskRunning, batch.CodeStateIsolating, batch.CodeStateTerminating, batch.CodeStateLaunchFailed:
		return true
	}
	return false
}
