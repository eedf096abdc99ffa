package emulator

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Limits of DescribeInstances, as the API documents them.
const (
	MaxFilters      = 10  // Filters in one request
	MaxFilterValues = 5   // Values of one filter
	MaxLimit        = 100 // the largest Limit
	defaultLimit    = 20  // the Limit when none is sent
)

// CodeInvalidFilter is answered for a filter name DescribeInstances does not know.
const CodeInvalidFilter = "InvalidFilter"

// Filter is one of DescribeInstances' Filters, as sent.
type Filter struct {
	Name   string
	Values []string
}

// The filters the emulator applies: an instance matches a filter when the
// field holds any of its Values, and matches the request when it matches
// every filter.
//
//	tag:<key>    the tag key has one of the values
//	tag-key      the instance has a tag with one of the keys
//	tag-value    the instance has a tag with one of the values
//	project-id   the instance's project is one of the values
//	instance-id  the instance's id is one of the values
func (f Filter) matches(in Instance) bool {
	switch {
	case strings.HasPrefix(f.Name, "tag:"):
		v, ok := in.tagValue(strings.TrimPrefix(f.Name, "tag:"))
		return ok && slices.Contains(f.Values, v)
	case f.Name == "tag-key":
		return slices.ContainsFunc(in.Tags, func(t Tag) bool { return slices.Contains(f.Values, t.Key) })
	case f.Name == "tag-value":
		return slices.ContainsFunc(in.Tags, func(t Tag) bool { return slices.Contains(f.Values, t.Value) })
	case f.Name == "project-id":
		return slices.Contains(f.Values, strconv.FormatInt(in.ProjectID, 10))
	case f.Name == "instance-id":
		return slices.Contains(f.Values, in.ID)
	}
	return false
}

func knownFilter(name string) bool {
	switch name {
	case "tag-key", "tag-value", "project-id", "instance-id":
		return true
	}
	return strings.HasPrefix(name, "tag:") && len(name) > len("tag:")
}

func cloneFilters(fs []Filter) []Filter {
	if fs == nil {
		return nil
	}
	out := make([]Filter, len(fs))
	for i, f := range fs {
		out[i] = Filter{Name: f.Name, Values: slices.Clone(f.Values)}
	}
	return out
}

// v1FilterParam matches Filters.N.Name and Filters.N.Values.M.
var v1FilterParam = regexp.MustCompile(`^Filters\.([0-9]+)\.(?:Name|Values\.([0-9]+))$`)

// readV1Describe reads Filters.N.Name, Filters.N.Values.M (each list in
// the order of its indexes), Offset and Limit from a v1 request.
func readV1Describe(q *request) {
	type filter struct {
		name    string
		hasName bool
		values  map[int]string
	}
	byIndex := map[int]*filter{}
	for _, name := range slices.Sorted(maps.Keys(q.params)) {
		if !strings.HasPrefix(name, "Filters") {
			continue
		}
		m := v1FilterParam.FindStringSubmatch(name)
		if m == nil {
			q.describeErr = firstErr(q.describeErr, errorf(CodeInvalidParameter, "The parameter `%s` is not Filters.N.Name or Filters.N.Values.M.", name))
			continue
		}
		n, _ := strconv.Atoi(m[1])
		f := byIndex[n]
		if f == nil {
			f = &filter{values: map[int]string{}}
			byIndex[n] = f
		}
		if m[2] == "" {
			f.name, f.hasName = q.params[name], true
			continue
		}
		i, _ := strconv.Atoi(m[2])
		f.values[i] = q.params[name]
	}
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		f := byIndex[n]
		if !f.hasName {
			q.describeErr = firstErr(q.describeErr, errorf(CodeInvalidParameter, "The filter Filters.%d has values but no `Filters.%d.Name`.", n, n))
		}
		values := make([]string, 0, len(f.values))
		for _, i := range slices.Sorted(maps.Keys(f.values)) {
			values = append(values, f.values[i])
		}
		q.filters = append(q.filters, Filter{Name: f.name, Values: values})
	}
	q.offset, q.offsetSent = q.params["Offset"]
	q.limit, q.limitSent = q.params["Limit"]
}

// readTC3Describe reads Filters, Offset and Limit from a TC3 JSON body.
func readTC3Describe(q *request) {
	if len(bytes.TrimSpace(q.body)) == 0 {
		return
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(q.body, &fields) != nil {
		return // tc3Params reports it
	}
	if raw, ok := fields["Filters"]; ok && !isNull(raw) {
		var fs []struct {
			Name   *string  `json:"Name"`
			Values []string `json:"Values"`
		}
		if json.Unmarshal(raw, &fs) != nil {
			q.describeErr = errorf(CodeInvalidParameterValue, "The parameter `Filters` must be an array of {\"Name\": string, \"Values\": [string]}, not %s.", jsonKind(raw))
		}
		for i, f := range fs {
			if f.Name == nil {
				q.describeErr = firstErr(q.describeErr, errorf(CodeInvalidParameter, "The filter Filters[%d] has no `Name`.", i))
				f.Name = new(string)
			}
			q.filters = append(q.filters, Filter{Name: *f.Name, Values: f.Values})
		}
	}
	for _, p := range []struct {
		name string
		v    *string
		sent *bool
	}{{"Offset", &q.offset, &q.offsetSent}, {"Limit", &q.limit, &q.limitSent}} {
		if raw, ok := fields[p.name]; ok && !isNull(raw) {
			*p.v, *p.sent = string(bytes.TrimSpace(raw)), true
		}
	}
}

func firstErr(have, next *apiError) *apiError {
	if have != nil {
		return have
	}
	return next
}

// describeArgs are the checked parameters of one DescribeInstances.
type describeArgs struct {
	ids           []string
	filters       []Filter
	offset, limit int
}

// checkDescribeArgs checks the parameters of DescribeInstances, without
// looking at the table.
func checkDescribeArgs(q *request) (describeArgs, *apiError) {
	if q.oldShape() {
		return describeArgs{}, errorf(CodeMissingParameter, "The request names no `Version`: the emulator answers DescribeInstances in version %s only (the legacy endpoint's unversioned DescribeInstances is another API).", Version)
	}
	if err := firstErr(q.paramErr, q.describeErr); err != nil {
		return describeArgs{}, err
	}
	a := describeArgs{ids: q.ids, filters: q.filters, offset: 0, limit: defaultLimit}
	switch {
	case len(a.ids) > 0 && len(a.filters) > 0:
		return describeArgs{}, errorf(CodeInvalidParameter, "The parameters `InstanceIds` and `Filters` cannot be given together.")
	case len(a.ids) > MaxInstanceIDs:
		return describeArgs{}, errorf(CodeLimitExceeded, "The parameter `InstanceIds` has %d instance IDs; at most %d are allowed per request.", len(a.ids), MaxInstanceIDs)
	case len(a.filters) > MaxFilters:
		return describeArgs{}, errorf(CodeLimitExceeded, "The parameter `Filters` has %d filters; at most %d are allowed per request.", len(a.filters), MaxFilters)
	}
	for _, id := range a.ids {
		if !instanceIDPattern.MatchString(id) {
			return describeArgs{}, errorf(CodeMalformed, "The instance ID %q is malformed: an instance ID is ins- followed by 8 lowercase letters or digits.", id)
		}
	}
	for _, f := range a.filters {
		switch {
		case !knownFilter(f.Name):
			return describeArgs{}, errorf(CodeInvalidFilter, "The filter %q is not supported; use tag:<key>, tag-key, tag-value, project-id or instance-id.", f.Name)
		case len(f.Values) == 0:
			return describeArgs{}, errorf(CodeInvalidParameterValue, "The filter %q has no values.", f.Name)
		case len(f.Values) > MaxFilterValues:
			return describeArgs{}, errorf(CodeLimitExceeded, "The filter %q has %d values; at most %d are allowed.", f.Name, len(f.Values), MaxFilterValues)
		}
	}
	var ok bool
	if q.offsetSent {
		if a.offset, ok = parseCount(q.offset); !ok {
			return describeArgs{}, errorf(CodeInvalidParameterValue, "The parameter `Offset` value %s is invalid: it must be a non-negative integer.", strconv.Quote(q.offset))
		}
	}
	if q.limitSent {
		if a.limit, ok = parseCount(q.limit); !ok || a.limit < 1 || a.limit > MaxLimit {
			return describeArgs{}, errorf(CodeInvalidParameterValue, "The parameter `Limit` value %s is invalid: it must be an integer from 1 to %d.", strconv.Quote(q.limit), MaxLimit)
		}
	}
	return a, nil
}

// parseCount accepts decimal digits that fit an int.
func parseCount(s string) (int, bool) {
	n, ok := parseProjectID(s)
	if !ok || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

// describeResult is DescribeInstances' answer, inside Response.
type describeResult struct {
	TotalCount  int                 `json:"TotalCount"`
	InstanceSet []describedInstance `json:"InstanceSet"` // never null
}

// describedInstance is the part of the API's Instance data structure
// (CVM API 3.0, Data Types, Instance) the emulator gives: Placement (Zone,
// ProjectId), InstanceId, InstanceState, Tags, SecurityGroupIds and the
// latest operation. The API answers SecurityGroupIds [] and the latest
// operation's fields null ("may return null") for an instance without;
// the emulator leaves them out then, so that its answers for tables
// without security groups or moves stay byte for byte what they were
// before it modelled them (decoded, absent and null are the same). For the
// same reason RestrictState and IsolatedSource, which the API always
// gives (NORMAL, NOTISOLATED for most), are given only when the instance
// has them set (states.go), and LatestOperationErrorMsg ("may return
// null") only when not empty. InstanceState is the instance's State,
// RUNNING when unset.
type describedInstance struct {
	Placement struct {
		Zone      string `json:"Zone"`
		ProjectId int64  `json:"ProjectId"`
	} `json:"Placement"`
	InstanceId               string   `json:"InstanceId"`
	InstanceState            string   `json:"InstanceState"`
	Tags                     []Tag    `json:"Tags"` // never null
	SecurityGroupIds         []string `json:"SecurityGroupIds,omitempty"`
	LatestOperation          *string  `json:"LatestOperation,omitempty"`
	LatestOperationState     *string  `json:"LatestOperationState,omitempty"`
	LatestOperationRequestId *string  `json:"LatestOperationRequestId,omitempty"`
	LatestOperationErrorMsg  *string  `json:"LatestOperationErrorMsg,omitempty"`
	RestrictState            string   `json:"RestrictState,omitempty"`
	IsolatedSource           string   `json:"IsolatedSource,omitempty"`
}

// describe answers DescribeInstances from the table, sorted by ID: the
// instances of the request's region (regions.go) of a.ids (unknown ones
// are left out, as the API does), or those every filter matches, a page of
// a.limit from a.offset, their operations settled on the emulator's clock.
func (e *Emulator) describe(q *request) (*describeResult, *apiError) {
	a, err := checkDescribeArgs(q)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if f := e.describeFail; f != nil && e.describeOK >= f.afterOK {
		return nil, errorf(f.code, "The emulator fails DescribeInstances after %d answers (FailDescribeInstances).", f.afterOK)
	}
	e.settle()
	var matched []Instance
	for _, id := range slices.Sorted(maps.Keys(e.instances)) {
		in := e.instances[id]
		if !visible(in, q.region) || len(a.ids) > 0 && !slices.Contains(a.ids, id) {
			continue
		}
		if !slices.ContainsFunc(a.filters, func(f Filter) bool { return !f.matches(in) }) {
			matched = append(matched, in)
		}
	}
	res := &describeResult{TotalCount: len(matched), InstanceSet: []describedInstance{}}
	for _, in := range matched[min(a.offset, len(matched)):min(a.offset+a.limit, len(matched))] {
		res.InstanceSet = append(res.InstanceSet, described(in, q.region))
	}
	e.describeOK++
	return res, nil
}

// described is in as DescribeInstances gives it to a request naming region.
func described(in Instance, region string) describedInstance {
	d := describedInstance{
		InstanceId: in.ID, InstanceState: instanceState(in),
		RestrictState: in.RestrictState, IsolatedSource: in.IsolatedSource,
		Tags:             slices.Clone(in.Tags),
		SecurityGroupIds: slices.Clone(in.SecurityGroupIDs),
	}
	if d.Tags == nil {
		d.Tags = []Tag{}
	}
	d.Placement.ProjectId = in.ProjectID
	d.Placement.Zone = zone(in, region)
	if in.LatestOperation != "" {
		d.LatestOperation, d.LatestOperationState, d.LatestOperationRequestId = &in.LatestOperation, &in.LatestOperationState, &in.LatestOperationRequestID
	}
	if in.LatestOperationErrorMsg != "" {
		d.LatestOperationErrorMsg = &in.LatestOperationErrorMsg
	}
	return d
}

// fault is an error the emulator answers on purpose.
type fault struct {
	afterOK int
	code    string
}

// FailDescribeInstances makes DescribeInstances answer code (an API error
// code such as "InternalServerError") once afterOK calls have been answered
// with success from now on: 0 fails every call, 1 lets the first page of a
// listing through. A negative afterOK stops the failures.
func (e *Emulator) FailDescribeInstances(afterOK int, code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.describeOK = 0
	e.describeFail = nil
	if afterOK >= 0 {
		e.describeFail = &fault{afterOK: afterOK, code: code}
	}
}
