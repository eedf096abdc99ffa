package request

import (
	"encoding/json"
	"maps"
	"net/url"
	"scf-cvm-project/handler/answer"
	"slices"
	"strconv"
	"strings"
)

// FromValues reads a request from a form or a query; where names it in
// messages. A key neither in Keys nor InstanceIds.N is refused
// (CodeUnknownParameter), as is Rules (JSON only); a leading byte-order
// mark is ignored.
func FromValues(where string, v url.Values) (Raw, *answer.Error) {
	var raw Raw
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if t := strings.TrimPrefix(k, BOM); t != k {
			v = maps.Clone(v)
			v[t] = append(v[t], v[k]...)
			delete(v, k)
			k = t
		}
		if knownIndex(k, Keys) < 0 && !isIndexedKey(k, "InstanceIds") {
			return raw, UnknownKey(where, k, Keys)
		}
	}
	var first *answer.Error
	keep := func(err *answer.Error) {
		if first == nil {
			first = err
		}
	}
	// flag reads the flag name as strconv.ParseBool does, a bare key
	// (?DryRun) as true; nil when absent or refused.
	flag := func(name string) *bool {
		s, ok, err := single(where, v, name)
		if !ok {
			return nil
		}
		b := true
		if s = strings.TrimSpace(s); err == nil && s != "" {
			var perr error
			if b, perr = strconv.ParseBool(s); perr != nil {
				err = answer.Errorf(answer.CodeInvalidParameterValue, "%s must be true or false; got %s", name, answer.Quote(s))
			}
		}
		keep(err)
		if err != nil {
			return nil
		}
		return &b
	}

	var plain, indexed []string
	for k := range v {
		switch {
		case strings.EqualFold(k, "InstanceIds"):
			plain = append(plain, k)
		case isIndexedKey(k, "InstanceIds"):
			indexed = append(indexed, k)
		}
	}
	slices.Sort(plain)
	slices.SortFunc(indexed, compareIndexedKeys)
	raw.HasInstanceIDs = len(plain)+len(indexed) > 0
	for _, k := range append(plain, indexed...) {
		for _, value := range v[k] {
			raw.InstanceIDs = SplitList(raw.InstanceIDs, value)
		}
	}

	if s, ok, err := single(where, v, "ProjectId"); ok {
		raw.HasProjectID = true
		if err == nil {
			raw.ProjectID, err = parseProjectID(s)
		}
		keep(err)
	}
	if s, ok, err := single(where, v, "Region"); ok {
		raw.Region = strings.TrimSpace(s)
		keep(err)
	}
	raw.DryRun = flag("DryRun")
	if r := flag("Reconcile"); r != nil {
		raw.Reconcile = *r
	}
	raw.SkipInvalid = flag("SkipInvalid")
	if s, ok, err := single(where, v, "Regions"); ok {
		raw.Regions, _ = json.Marshal(s)
		keep(err)
	}
	if s, ok, err := single(where, v, "Project"); ok {
		raw.ProjectName, _ = json.Marshal(s)
		keep(err)
	}
	if a := flag("Async"); a != nil {
		raw.Async = *a
	}
	// Rules are a JSON array of objects: a form or query ignoring them
	// would run the configured rules, or none, in place of those given.
	if _, ok, _ := single(where, v, "Rules"); ok {
		keep(answer.Errorf(answer.CodeInvalidParameterValue, "Rules cannot be given in %s: send the request as JSON (Content-Type: application/json)", where))
	}
	return raw, first
}

// single returns the one value of the key name (matched in any case): ok is
// false when it is absent; a bare key has the value "". Differing values
// are refused.
func single(where string, v url.Values, name string) (value string, ok bool, err *answer.Error) {
	var values []string
	for k, vs := range v {
		if strings.EqualFold(k, name) {
			ok = true
			values = append(values, vs...)
		}
	}
	slices.Sort(values)
	values = slices.Compact(values)
	switch len(values) {
	case 0:
		return "", ok, nil
	case 1:
		return values[0], ok, nil
	}
	return values[0], ok, answer.Errorf(answer.CodeInvalidParameterValue, "%s is given %d different values in %s; give it once", name, len(values), where)
}

// isIndexedKey reports whether k is name.N (name in any case, N digits).
func isIndexedKey(k, name string) bool {
	if len(k) <= len(name)+1 || !strings.EqualFold(k[:len(name)], name) || k[len(name)] != '.' {
		return false
	}
	return strings.IndexFunc(k[len(name)+1:], func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// compareIndexedKeys orders name.N keys by the number N, then by the key.
func compareIndexedKeys(a, b string) int {
	na := strings.TrimLeft(a[strings.IndexByte(a, '.')+1:], "0")
	nb := strings.TrimLeft(b[strings.IndexByte(b, '.')+1:], "0")
	if c := len(na) - len(nb); c != 0 {
		return c
	}
	if c := strings.Compare(na, nb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// SplitList appends the comma-separated items of s, trimmed, empty ones
// dropped.
func SplitList(dst []string, s string) []string {
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			dst = append(dst, item)
		}
	}
	return dst
}
