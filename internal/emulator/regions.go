package emulator

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
