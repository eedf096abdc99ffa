package cvm

import "strconv"

// DescribeRegions lists the regions of CVM (no parameters): what a
// reconciliation over "*" covers, those whose RegionState is
// RegionAvailable.
type DescribeRegions struct{}

func (DescribeRegions) ActionName() string { return "DescribeRegions" }

func (DescribeRegions) Size() int { return 0 }

func (DescribeRegions) PutV1Params(int, func(string, string)) {}

// RegionAvailable is the RegionState of a region the account can use.
const RegionAvailable = "AVAILABLE"

// RegionSet is DescribeRegions' answer.
type RegionSet struct {
	TotalCount int
	RegionSet  []struct {
		Region, RegionName, RegionState string
	}
}

// DescribeProjects lists the account's projects (Tag API 2018-08-13, sent
// by a NewService client): AllList 1 includes hidden projects, Limit
// at most MaxProjectsLimit from Offset, and the filter ProjectName.
type DescribeProjects struct {
	AllList     int
	Limit       int
	Offset      int
	ProjectName string `json:",omitempty"`
}

// MaxProjectsLimit is DescribeProjects' largest Limit.
const MaxProjectsLimit = 1000

func (DescribeProjects) ActionName() string { return "DescribeProjects" }

func (DescribeProjects) Size() int { return 0 }

func (a DescribeProjects) PutV1Params(_ int, put func(string, string)) {
	put("AllList", strconv.Itoa(a.AllList))
	put("Limit", strconv.Itoa(a.Limit))
	put("Offset", strconv.Itoa(a.Offset))
	if a.ProjectName != "" {
		put("ProjectName", a.ProjectName)
	}
}

// Projects is DescribeProjects' answer: Total projects match, of which
// this page.
type Projects struct {
	Total    int
	Projects []struct {
		ProjectId   int64
		ProjectName string
	}
}

// Invoke invokes an SCF function (SCF API 2018-04-16, sent by a NewService
// client); InvocationType InvocationEvent queues ClientContext,
// the event, and answers at once.
type Invoke struct {
	FunctionName   string
	InvocationType string
	Namespace      string `json:",omitempty"`
	ClientContext  string
}

// InvocationEvent is the InvocationType of an asynchronous invocation.
const InvocationEvent = "Event"

func (Invoke) ActionName() string { return "Invoke" }

func (Invoke) Size() int { return 0 }

func (a Invoke) PutV1Params(_ int, put func(string, string)) {
	put("FunctionName", a.FunctionName)
	put("InvocationType", a.InvocationType)
	if a.Namespace != "" {
		put("Namespace", a.Namespace)
	}
	put("ClientContext", a.ClientContext)
}

// Invoked is Invoke's answer.
type Invoked struct {
	Result struct {
		FunctionRequestId string
	}
}

// The SCF API (version 2018-04-16) the function invokes itself through.
const (
	SCFEndpoint = "https://scf.tencentcloudapi.com/"
	SCFVersion  = "2018-04-16"
)
