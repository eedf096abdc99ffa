package request

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"scf-cvm-project/handler/answer"
	"slices"
	"strings"
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

	// The tag rules (rulerequest.go): read from JSON requests only.
	Rules     json.RawMessage // as given, when present; checked by ParseRules
	Reconcile bool

	// A whole account (regions.go): the regions a reconciliation covers
	// (Regions: a list, or "*" for all), and a project given by its name
	// (Project) instead of ProjectId.
	Regions        json.RawMessage
	ProjectName    json.RawMessage
	HasProjectName bool
}

// Wire is the request as JSON spells it, read by encoding/json into the
// lenient value types (values.go). Its keys match the API's in ASCII case
// only (encoding/json alone would also fold Unicode); the first key that
// is not one of Keys is kept, for FromJSON to refuse.
type Wire struct {
	InstanceIds IDs
	ProjectId   ProjectID
	Region      json.RawMessage
	Rules       json.RawMessage
	Reconcile   Flag
	DryRun      Flag
	SkipInvalid Flag
	Async       Flag
	Regions     json.RawMessage
	Project     json.RawMessage

	unknown  *string // the first key that is not one of Keys
	conflict *string // the first key given twice with different values
}

// UnmarshalJSON reads a JSON object's members into w, in order. A key
// given twice (in any ASCII case) with different values is noted, for
// FromJSON to refuse as forms do: which one was meant is not known, and
// {"DryRun":true,"dryrun":false} must not move anything.
func (w *Wire) UnmarshalJSON(b []byte) error {
	*w = Wire{}
	seen := map[any][]byte{} // field → its first value, compacted
	return members(b, func(key string, dec *json.Decoder) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		v := w.field(key)
		if v == nil {
			if w.unknown == nil {
				w.unknown = &key
			}
			return nil
		}
		var c bytes.Buffer
		if json.Compact(&c, raw) == nil {
			if prev, dup := seen[v]; dup && !bytes.Equal(prev, c.Bytes()) && w.conflict == nil {
				w.conflict = &key
			}
			seen[v] = c.Bytes()
		}
		return json.Unmarshal(raw, v)
	})
}

// field is where the value of key goes; nil when key is not one of Keys.
func (w *Wire) field(key string) any {
	for _, f := range [...]struct {
		name string
		v    any
	}{
		{"InstanceIds", &w.InstanceIds}, {"ProjectId", &w.ProjectId}, {"Region", &w.Region}, {"DryRun", &w.DryRun},
		{"SkipInvalid", &w.SkipInvalid}, {"Rules", &w.Rules}, {"Reconcile", &w.Reconcile}, {"Async", &w.Async},
		{"Regions", &w.Regions}, {"Project", &w.Project},
	} {
		if asciiEqualFold(key, f.name) {
			return f.v
		}
	}
	return nil
}

// FromJSON reads a request from a JSON object; where names data in
// messages. A leading byte-order mark is ignored; a key that is not one of
// Keys is refused (CodeUnknownParameter).
func FromJSON(where string, data []byte) (Raw, *answer.Error) {
	data = TrimBOM(data)
	var w Wire
	// One pass when data is a well-formed object; DecodeObject words the
	// refusal of anything else.
	if w.UnmarshalJSON(data) != nil {
		if err := DecodeObject(where, data, &w); err != nil {
			return Raw{}, err
		}
	}
	if w.unknown != nil {
		return Raw{}, UnknownKey(where, *w.unknown, Keys)
	}
	if w.conflict != nil {
		return Raw{}, answer.Errorf(answer.CodeInvalidParameterValue, "%s is given 2 different values in %s; give it once", *w.conflict, where)
	}
	return w.raw()
}

// raw is what w says, and the first of its values' refusals, in the order
// of Keys.
func (w *Wire) raw() (Raw, *answer.Error) {
	raw := Raw{
		InstanceIDs: w.InstanceIds.List, HasInstanceIDs: w.InstanceIds.Set,
		ProjectID: w.ProjectId.ID, HasProjectID: w.ProjectId.Set,
		DryRun: w.DryRun.Value, SkipInvalid: w.SkipInvalid.Value,
		Reconcile: w.Reconcile.Value != nil && *w.Reconcile.Value,
		Async:     w.Async.Value != nil && *w.Async.Value,
	}
	var region *answer.Error
	if Present(w.Region) {
		if JSONType(w.Region) != TypeString || json.Unmarshal(w.Region, &raw.Region) != nil {
			region = answer.Errorf(answer.CodeInvalidParameterValue, "Region must be a string; got %s", JSONType(w.Region))
		}
		raw.Region = strings.TrimSpace(raw.Region)
	}
	if Present(w.Rules) {
		raw.Rules = w.Rules
	}
	if Present(w.Regions) {
		raw.Regions = w.Regions
	}
	if Present(w.Project) {
		raw.ProjectName, raw.HasProjectName = w.Project, true
	}
	for _, err := range []*answer.Error{w.InstanceIds.err, w.ProjectId.err, region,
		w.DryRun.check("DryRun"), w.SkipInvalid.check("SkipInvalid"), w.Reconcile.check("Reconcile"), w.Async.check("Async")} {
		if err != nil {
			return raw, err
		}
	}
	return raw, nil
}

// FromValues reads a request from a form or a query; where names it
// in messages.
// A key that is neither one of Keys nor InstanceIds.N is refused
// (CodeUnknownParameter); a leading byte-order mark is ignored.
func FromValues(where string, v url.Values) (Raw, *answer.Error) {
	var raw Raw
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if t := TrimBOMString(k); t != k {
			v = maps.Clone(v)
			v[t] = append(v[t], v[k]...)
			delete(v, k)
			k = t
		}
		if !isKnown(k, Keys) && !isIndexedKey(k, "InstanceIds") {
			return raw, UnknownKey(where, k, Keys)
		}
	}
	var first *answer.Error
	keep := func(err *answer.Error) {
		if first == nil {
			first = err
		}
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
	if s, ok, err := single(where, v, "DryRun"); ok {
		if err == nil {
			raw.DryRun, err = ParseFlag("DryRun", s, true)
		}
		keep(err)
	}
	if s, ok, err := single(where, v, "Reconcile"); ok {
		var reconcile *bool
		if err == nil {
			reconcile, err = ParseFlag("Reconcile", s, true)
		}
		raw.Reconcile = reconcile != nil && *reconcile
		keep(err)
	}
	if s, ok, err := single(where, v, "SkipInvalid"); ok {
		if err == nil {
			raw.SkipInvalid, err = ParseFlag("SkipInvalid", s, true)
		}
		keep(err)
	}
	if s, ok, err := single(where, v, "Regions"); ok {
		raw.Regions, _ = json.Marshal(s)
		keep(err)
	}
	if s, ok, err := single(where, v, "Project"); ok {
		raw.ProjectName, _ = json.Marshal(s)
		raw.HasProjectName = true
		keep(err)
	}
	if s, ok, err := single(where, v, "Async"); ok {
		var async *bool
		if err == nil {
			async, err = ParseFlag("Async", s, true)
		}
		raw.Async = async != nil && *async
		keep(err)
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
