package request

import (
	"encoding/json"
	"scf-cvm-project/handler/answer"
	"strings"
)

// Limits on a request.
const (
	MaxInstanceIDs = 10000 // distinct instance ids in one request, unless MAX_INSTANCES says otherwise
	// MaxRequestBytes bounds a request whatever carries it: a direct event,
	// an HTTP body (once decoded), a timer's Message, an EventBridge event.
	// 100,000 ids (MAX_INSTANCES' ceiling) take about 1.5 MB as JSON.
	MaxRequestBytes = 6 << 20
	// MaxEventBytes bounds any event as received: an HTTP body in base64
	// takes a third more than the request it carries.
	MaxEventBytes = 8 << 20
)

// Raw is what a request said, before validation; fields are
// nil/empty when absent.
type Raw struct {
	InstanceIDs    []string // as given, in order (may hold duplicates and bad ids)
	ProjectID      *int64
	Region         string
	DryRun         *bool // nil when the request does not say
	HasInstanceIDs bool  // the key was present at all
	HasProjectID   bool
	SkipInvalid    *bool // nil when absent: SKIP_INVALID decides
	// Async makes a direct invocation answer as an asynchronous one does:
	// unfinished work that a retry can finish is a function error, for
	// SCF to retry (SCF does not tell the function how it was invoked).
	Async bool

	// The tag rules (rules.Validate): read from JSON requests only.
	Rules     json.RawMessage // as given, when present; checked by rules.Parse
	Reconcile bool

	// A whole account (regions.go), each as given when present: the regions
	// a reconciliation covers (Regions: a list, or "*" for all), and a
	// project given by its name (Project) instead of ProjectId.
	Regions     json.RawMessage
	ProjectName json.RawMessage
}

// Move is a validated request: what the function will do.
type Move struct {
	InstanceIDs []string // distinct, well-formed, in the order first given
	ProjectID   int64    // 0 is the default project
	Region      string
	SkipInvalid *bool // as the request said; nil: SKIP_INVALID decides
	// ProjectName is the project as the request names it (Project),
	// resolved into ProjectID before the run; "" for a ProjectId.
	ProjectName string
}

// Validate checks raw into a Move: InstanceIds present, deduplicated (first
// kept), at most maxInstances, each ins- and 8 lower-case letters or digits;
// ProjectId present and ≥ 0; Region (else defaultRegion) like ap-guangzhou.
// Errors are MissingParameter, InvalidParameterValue and their kin.
func Validate(raw Raw, defaultRegion string, maxInstances int) (Move, *answer.Error) {
	if len(raw.InstanceIDs) == 0 {
		if raw.HasInstanceIDs {
			return Move{}, answer.Errorf(answer.CodeMissingParameter, "InstanceIds is empty; give one or more instance ids such as ins-1a2b3c4d")
		}
		return Move{}, answer.Errorf(answer.CodeMissingParameter, "InstanceIds is missing; give one or more instance ids such as ins-1a2b3c4d")
	}
	ids, err := CheckInstanceIDs(raw.InstanceIDs, maxInstances)
	if err != nil {
		return Move{}, err
	}

	if raw.ProjectID == nil {
		return Move{}, answer.Errorf(answer.CodeMissingParameter, "ProjectId is missing; give the id of the project to move the instances into (0 for the default project)")
	}
	if *raw.ProjectID < 0 {
		return Move{}, answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId must be 0 (the default project) or greater; got %d", *raw.ProjectID)
	}

	region, err := CheckRegion(raw.Region, defaultRegion)
	if err != nil {
		return Move{}, err
	}
	return Move{InstanceIDs: ids, ProjectID: *raw.ProjectID, Region: region, SkipInvalid: raw.SkipInvalid}, nil
}

// CheckInstanceIDs returns ids without repeats (the first kept), refusing
// more than maxInstances and any id that is not ins- and 8 lower-case
// letters or digits.
func CheckInstanceIDs(ids []string, maxInstances int) ([]string, *answer.Error) {
	seen := make(map[string]struct{}, len(ids))
	distinct := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			distinct = append(distinct, id)
		}
	}
	if len(distinct) > maxInstances {
		return nil, answer.Errorf(answer.CodeLimitExceeded, "InstanceIds holds %d distinct ids; at most %d are allowed in one request", len(distinct), maxInstances)
	}
	for _, id := range distinct {
		if !ValidInstanceID(id) {
			return nil, answer.Errorf(answer.CodeInstanceIDMalformed, "InstanceIds holds the malformed id %s; an instance id is ins- and 8 lower-case letters or digits", answer.Quote(id))
		}
	}
	return distinct, nil
}

// CheckRegion returns the request's region, else defaultRegion (from
// TENCENTCLOUD_REGION), refusing none and a name that is not a region's.
func CheckRegion(region, defaultRegion string) (string, *answer.Error) {
	from := "Region"
	if region == "" {
		region, from = defaultRegion, "Region (from TENCENTCLOUD_REGION)"
	}
	if region == "" {
		return "", answer.Errorf(answer.CodeMissingParameter, "Region is missing; give Region in the request or set TENCENTCLOUD_REGION")
	}
	if !ValidRegion(region) {
		return "", answer.Errorf(answer.CodeInvalidParameterValue, "%s %s is not a region name; a region looks like ap-guangzhou or ap-shanghai-fsi", from, answer.Quote(region))
	}
	return region, nil
}

// ValidInstanceID reports whether id matches ^ins-[a-z0-9]{8}$.
func ValidInstanceID(id string) bool {
	if len(id) != len("ins-")+8 || !strings.HasPrefix(id, "ins-") {
		return false
	}
	for _, c := range []byte(id[len("ins-"):]) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ValidRegion reports whether r matches ^[a-z]{2}-[a-z]+(-[a-z]+)*$.
func ValidRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 2 || len(parts[0]) != 2 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range []byte(p) {
			if c < 'a' || c > 'z' {
				return false
			}
		}
	}
	return true
}
