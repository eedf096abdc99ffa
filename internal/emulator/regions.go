package emulator

import (
	"cmp"
	"slices"
	"strings"
)

// visible reports whether a request naming region sees in. The CVM API is
// regional (each request's common parameter Region names the region whose
// resources it acts on, "Common Request Parameters", CVM API 3.0): an
// instance of another region is not listed by DescribeInstances and is an
// unknown id (InvalidInstanceId.NotFound) to the actions that name it. An
// instance without a Region is in every region, and a request without one
// (the legacy endpoint does not require it) sees every instance, so tables
// and requests that ignore regions behave as before regions existed.
func visible(in Instance, region string) bool {
	return in.Region == "" || region == "" || in.Region == region
}

// zone is the instance's Placement.Zone for a request naming region.
func zone(in Instance, region string) string {
	switch {
	case in.Zone != "":
		return in.Zone
	case in.Region != "":
		return in.Region + "-3"
	case region != "":
		return region + "-3"
	}
	return ""
}

// ActionDescribeRegions lists the regions (CVM API 3.0, version
// 2017-03-12, document 213/15708: no parameters, Region "not required",
// 20 requests a second; the page now says the API is suspended in favour
// of the Region API's, but documents its answer).
const ActionDescribeRegions = "DescribeRegions"

// RegionAvailable is the RegionState of an available region, as the
// DescribeRegions page's example gives it ("Whether the region is
// available"; no other value is documented).
const RegionAvailable = "AVAILABLE"

// RegionInfo is one region of DescribeRegions' RegionSet.
type RegionInfo struct {
	Region      string `json:"Region"`      // like "ap-guangzhou"
	RegionName  string `json:"RegionName"`  // like "South China (Guangzhou)"
	RegionState string `json:"RegionState"` // RegionAvailable
}

// regionNames are the RegionName of the DescribeRegions page's example.
var regionNames = map[string]string{
	"ap-beijing":   "North China (Beijing)",
	"ap-guangzhou": "South China (Guangzhou)",
	"ap-hongkong":  "Hong Kong/Macao/Taiwan (Hong Kong, China)",
}

// SetRegions sets the regions DescribeRegions lists, in this order. Until
// it is called, DescribeRegions lists the Region of every instance of the
// table, sorted, AVAILABLE, named as the documentation's example names
// them (else by the Region itself).
func (e *Emulator) SetRegions(rs ...RegionInfo) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.regions = slices.Clone(rs)
	if e.regions == nil {
		e.regions = []RegionInfo{}
	}
}

// regionsResult is DescribeRegions' answer, inside Response.
type regionsResult struct {
	TotalCount int          `json:"TotalCount"`
	RegionSet  []RegionInfo `json:"RegionSet"` // never null
}

func (e *Emulator) describeRegions(q *request) (*regionsResult, *apiError) {
	if q.oldShape() {
		return nil, errorf(CodeMissingParameter, "The request names no `Version`: the emulator answers %s in version %s only.", ActionDescribeRegions, Version)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rs := slices.Clone(e.regions)
	if e.regions == nil {
		seen := map[string]bool{}
		for _, in := range e.instances {
			if in.Region != "" && !seen[in.Region] {
				seen[in.Region] = true
				rs = append(rs, RegionInfo{Region: in.Region, RegionName: cmp.Or(regionNames[in.Region], in.Region), RegionState: RegionAvailable})
			}
		}
		slices.SortFunc(rs, func(a, b RegionInfo) int { return strings.Compare(a.Region, b.Region) })
	}
	if rs == nil {
		rs = []RegionInfo{}
	}
	return &regionsResult{TotalCount: len(rs), RegionSet: rs}, nil
}

// FailRegion makes every CVM call naming region (its common parameter
// Region) be answered code, like "InternalServerError", once it is
// authenticated, so that one region can fail while the others answer; ""
// stops it. DescribeRegions, which names no region, is not affected.
func (e *Emulator) FailRegion(region, code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failRegion == nil {
		e.failRegion = map[string]string{}
	}
	if code == "" {
		delete(e.failRegion, region)
		return
	}
	e.failRegion[region] = code
}

func (e *Emulator) regionFault(q *request) *apiError {
	e.mu.Lock()
	defer e.mu.Unlock()
	if code := e.failRegion[q.region]; code != "" && q.region != "" && q.action != ActionDescribeRegions {
		return errorf(code, "The emulator fails the calls of region %s (FailRegion).", q.region)
	}
	return nil
}

// InRegion returns in with every instance's Region set to region, e.g.
// AddInstances(InRegion("ap-shanghai", TaggedInstances("sh", 1, 100, 0)...)...).
func InRegion(region string, in ...Instance) []Instance {
	out := make([]Instance, len(in))
	for i, x := range in {
		x = x.clone()
		x.Region = region
		out[i] = x
	}
	return out
}
