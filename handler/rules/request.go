package rules

import (
	"encoding/json"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
)

// Request is a validated request for the tag rules: what the function
// will do.
type Request struct {
	Rules       []Rule
	InstanceIDs []string // distinct, well-formed; nil: reconcile the region
	Region      string
	DryRun      bool // decide and report, move nothing

	// A reconciliation over several regions (regions.go): Regions, or
	// AllRegions for "*"; neither: Region alone.
	Regions    []string
	AllRegions bool
	// RulesJSON is the request's own Rules as given, for the invocations a
	// fan-out hands regions to; nil: the configured rules.
	RulesJSON json.RawMessage
}

// Validate checks a request for the tag rules: its Rules, else configured
// (RULES_FILE, PROJECT_RULES); without InstanceIds it reconciles the region,
// with them (1 to maxInstances, as request.Validate checks them) it applies
// the rules to those alone. defaultRegion applies without a Region; dryRun
// is the request's DryRun, else DRY_RUN.
func Validate(raw request.Raw, defaultRegion string, configured []Rule, maxInstances int, dryRun bool) (Request, *answer.Error) {
	if raw.HasProjectID {
		return Request{}, answer.Errorf(answer.CodeInvalidParameterValue,
			"ProjectId cannot be given with Rules or Reconcile: give ProjectId to move the instances into one project, or Rules (or Reconcile with configured rules) to move each where its tags say")
	}
	rr := Request{DryRun: dryRun}
	if raw.HasInstanceIDs {
		if len(raw.InstanceIDs) == 0 {
			return Request{}, answer.Errorf(answer.CodeMissingParameter, "InstanceIds is empty; give instance ids such as ins-1a2b3c4d, or leave InstanceIds out to reconcile every instance the rules match")
		}
		ids, err := request.CheckInstanceIDs(raw.InstanceIDs, maxInstances)
		if err != nil {
			return Request{}, err
		}
		rr.InstanceIDs = ids
	}

	switch {
	case raw.Rules != nil:
		rules, err := Parse("", raw.Rules)
		if err != nil {
			return Request{}, err
		}
		rr.Rules = rules
	case len(configured) > 0:
		rr.Rules = configured
	default:
		return Request{}, answer.Errorf(answer.CodeMissingParameter, "Rules is missing; give Rules in the request, such as [{\"Tag\":{\"Key\":\"env\",\"Value\":\"prod\"},\"ProjectId\":1045}], or configure %s or %s", EnvRulesFile, EnvProjectRules)
	}

	region, err := request.CheckRegion(raw.Region, defaultRegion)
	if err != nil {
		return Request{}, err
	}
	rr.Region = region
	return rr, nil
}
