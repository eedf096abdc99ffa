package handler

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on a request.
const (
	MaxInstanceIDs = 10000   // distinct instance ids in one request, unless MAX_INSTANCES says otherwise
	MaxBodyBytes   = 1 << 20 // bytes of a request: a direct event, an HTTP body
	MaxEventBytes  = 8 << 20 // bytes of any event (SCF's own limit is 6 MB)
)

// maxQuoted is how much of a bad value a message repeats.
const maxQuoted = 64

// Request is a validated request: what the function will do.
type Request struct {
	InstanceIDs []string // distinct, well-formed, in the order first given
	ProjectID   int64    // 0 is the default project
	Region      string
	SkipInvalid *bool // as the request said; nil: SKIP_INVALID decides
}

// Validate checks raw and returns the clean request. defaultRegion (the
// caller reads it from TENCENTCLOUD_REGION) applies when raw names no Region.
//
// InstanceIds must be present and non-empty; duplicates are dropped, keeping
// the first; at most maxInstances (MaxInstanceIDs when ≤ 0; MAX_INSTANCES
// sets it) may remain, and each must look like ins-xxxxxxxx (8 lower-case
// letters or digits). ProjectId must be present and ≥ 0. Region must look
// like ap-guangzhou or ap-shanghai-fsi.
func Validate(raw RawRequest, defaultRegion string, maxInstances int) (Request, *Error) {
	if len(raw.InstanceIDs) == 0 {
		if raw.HasInstanceIDs {
			return Request{}, errorf(CodeMissingParameter, "InstanceIds is empty; give one or more instance ids such as ins-1a2b3c4d")
		}
		return Request{}, errorf(CodeMissingParameter, "InstanceIds is missing; give one or more instance ids such as ins-1a2b3c4d")
	}
	ids, err := checkInstanceIDs(raw.InstanceIDs, maxInstances)
	if err != nil {
		return Request{}, err
	}

	if raw.ProjectID == nil {
		return Request{}, errorf(CodeMissingParameter, "ProjectId is missing; give the id of the project to move the instances into (0 for the default project)")
	}
	if *raw.ProjectID < 0 {
		return Request{}, errorf(CodeInvalidParameterValue, "ProjectId must be 0 (the default project) or greater; got %d", *raw.ProjectID)
	}

	region, err := checkRegion(raw.Region, defaultRegion)
	if err != nil {
		return Request{}, err
	}
	return Request{InstanceIDs: ids, ProjectID: *raw.ProjectID, Region: region, SkipInvalid: raw.SkipInvalid}, nil
}

// checkInstanceIDs returns ids without repeats (the first kept), refusing
// more than maxInstances (MaxInstanceIDs when ≤ 0) and any id that is not
// ins- and 8 lower-case letters or digits.
func checkInstanceIDs(ids []string, maxInstances int) ([]string, *Error) {
	if maxInstances <= 0 {
		maxInstances = MaxInstanceIDs
	}
	ids = dedupe(ids)
	if len(ids) > maxInstances {
		return nil, errorf(CodeLimitExceeded, "InstanceIds holds %d distinct ids; at most %d are allowed in one request", len(ids), maxInstances)
	}
	for _, id := range ids {
		if !validInstanceID(id) {
			return nil, errorf(CodeInstanceIDMalformed, "InstanceIds holds the malformed id %s; an instance id is ins- and 8 lower-case letters or digits", quote(id))
		}
	}
	return ids, nil
}

// checkRegion returns the request's region, else defaultRegion (from
// TENCENTCLOUD_REGION), refusing none and a name that is not a region's.
func checkRegion(region, defaultRegion string) (string, *Error) {
	from := "Region"
	if region == "" {
		region, from = defaultRegion, "Region (from TENCENTCLOUD_REGION)"
	}
	if region == "" {
		return "", errorf(CodeMissingParameter, "Region is missing; give Region in the request or set TENCENTCLOUD_REGION")
	}
	if !validRegion(region) {
		return "", errorf(CodeInvalidParameterValue, "%s %s is not a region name; a region looks like ap-guangzhou or ap-shanghai-fsi", from, quote(region))
	}
	return region, nil
}

// dedupe returns ids without repeats, in the order each was first given.
func dedupe(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// validInstanceID reports whether id matches ^ins-[a-z0-9]{8}$.
func validInstanceID(id string) bool {
	if len(id) != len("ins-")+8 || !strings.HasPrefix(id, "ins-") {
		return false
	}
	for _, c := range []byte(id[len("ins-"):]) {
		if !isLower(c) && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// validRegion reports whether r matches ^[a-z]{2}-[a-z]+(-[a-z]+)*$.
func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 2 || len(parts[0]) != 2 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range []byte(p) {
			if !isLower(c) {
				return false
			}
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// quote quotes s for a message, cut to maxQuoted bytes (at a rune boundary)
// when it is absurdly long.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return fmt.Sprintf("%q", s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
