package request

import (
	"encoding/json"
	"slices"
	"strings"

	"scf-cvm-project/handler/answer"
)

// AllRegions is the Regions (and RECONCILE_REGIONS) of every region the
// account can use.
const AllRegions = "*"

// MaxRegions bounds a list of regions.
const MaxRegions = 100

// ReadRegions reads a request's Regions: a list of region names, "*" for
// every region, or the names in one comma-separated string. It returns
// the distinct names, or all.
func ReadRegions(raw json.RawMessage) (regions []string, all bool, err *answer.Error) {
	switch JSONType(raw) {
	case TypeString:
		var s string
		_ = json.Unmarshal(raw, &s)
		return ParseRegions("Regions", s)
	case TypeArray:
		var list []json.RawMessage
		_ = json.Unmarshal(raw, &list) // valid JSON, as FromJSON and FromValues give it
		var names []string
		for i, r := range list {
			var s string
			if JSONType(r) != TypeString || json.Unmarshal(r, &s) != nil {
				return nil, false, answer.Errorf(answer.CodeInvalidParameterValue, "Regions[%d] must be a string; got %s", i, JSONType(r))
			}
			names = append(names, strings.TrimSpace(s))
		}
		return checkRegions("Regions", names)
	}
	return nil, false, answer.Errorf(answer.CodeInvalidParameterValue, "Regions must be a list of regions such as [\"ap-guangzhou\",\"ap-shanghai\"], or \"*\" for every region; got %s", JSONType(raw))
}

// ParseRegions reads a comma-separated list of regions, or "*"; where
// names it in messages (RECONCILE_REGIONS, Regions).
func ParseRegions(where, s string) ([]string, bool, *answer.Error) {
	if strings.TrimSpace(s) == AllRegions {
		return nil, true, nil
	}
	return checkRegions(where, strings.Split(s, ","))
}

func checkRegions(where string, names []string) ([]string, bool, *answer.Error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == AllRegions && len(names) == 1 {
			return nil, true, nil
		}
		if !ValidRegion(n) {
			return nil, false, answer.Errorf(answer.CodeInvalidParameterValue, "%s holds %s, which is not a region name; a region looks like ap-guangzhou (or give \"*\" alone for every region)", where, answer.Quote(n))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	switch {
	case len(out) == 0:
		return nil, false, answer.Errorf(answer.CodeMissingParameter, "%s is empty; give one or more regions, or \"*\"", where)
	case len(out) > MaxRegions:
		return nil, false, answer.Errorf(answer.CodeInvalidParameterValue, "%s holds %d regions; at most %d are allowed", where, len(out), MaxRegions)
	}
	return out, false, nil
}
