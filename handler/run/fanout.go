package run

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/rules"
)

// FanOut is how a reconciliation too large for one invocation hands its
// regions to asynchronous invocations of the function itself: SCF's
// Invoke (InvocationType Event) through the one call path, so that SCF's
// queue, retries and dead-letter queue carry the work.
type FanOut struct {
	SCF          cvm.Caller // the SCF API's client; nil: no fan-out
	FunctionName string     // SCF_FUNCTIONNAME: "" no fan-out
	Namespace    string     // SCF_NAMESPACE
	Region       string     // the function's own region
}

// Overhead is what a reconciliation costs beyond its calls, in Estimate.
const Overhead = 2 * time.Second

// Estimate is how long a reconciliation of pages pages (up to 100 instances
// a rule lists in a region) takes at the documented rates were all to move:
// its listings, moves and confirming reads, plus Overhead.
func Estimate(pages int) time.Duration {
	reads := ratelimit.DocumentedLimits["DescribeInstances"]
	moves := ratelimit.DocumentedLimits["ModifyInstancesProject"]
	secs := float64(pages)/reads + float64(pages)/moves + float64(pages)/reads
	return time.Duration(secs*float64(time.Second)) + Overhead
}

// estimate counts the instances each rule matches in each region (a
// DescribeInstances of Limit 1: TotalCount), stopping once Estimate of them
// is over the time left before ctx's deadline; ok is false without one. A
// failed count counts nothing: the region's run will meet the failure.
func (x *exec) estimate(ctx context.Context, regions []string, set []rules.Rule) (est, left time.Duration, ok bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, 0, false
	}
	left = time.Until(dl)
	var mu sync.Mutex
	pages := 0
	over := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return Estimate(pages) > left
	}
	var wg sync.WaitGroup
	for _, region := range regions {
		wg.Go(func() {
			for _, r := range set {
				if over() {
					return
				}
				var page struct{ TotalCount int }
				if _, err := x.CVM.Call(ctx, x.inv.Keys, region, cvm.DescribeInstances{Filters: []cvm.Filter{cvm.TagFilter(r.Key, r.Value)}, Limit: 1}, &page); err == nil {
					mu.Lock()
					pages += (page.TotalCount + cvm.PageSize - 1) / cvm.PageSize
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return Estimate(pages), left, true
}

// fanOut hands each region to an asynchronous invocation of the function
// (a direct one, "Async": true) and answers what it handed over; a region
// whose Invoke failed is the answer's failure, for a retry to hand over again.
func (x *exec) fanOut(ctx context.Context, p Plan, set []rules.Rule, regions []string, why string) answer.Outcome {
	o := x.ruleRun(set, false, false, 0).Outcome(nil)
	o.Reconciliation = true
	o.Regions = make([]answer.RegionReport, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Go(func() {
			ev := map[string]any{"Reconcile": true, "Regions": []string{region}, "DryRun": false, "Async": true}
			if p.Rules.RulesJSON != nil {
				ev["Rules"] = p.Rules.RulesJSON
			}
			payload, _ := json.Marshal(ev) // strings, booleans and valid JSON
			var out cvm.Invoked
			res, err := x.FanOut.SCF.Call(ctx, x.inv.Keys, x.FanOut.Region, cvm.Invoke{
				FunctionName: x.FanOut.FunctionName, Namespace: x.FanOut.Namespace,
				InvocationType: cvm.InvocationEvent, ClientContext: string(payload)}, &out)
			code, msg := answer.FromCall(res, err, x.inv.ID)
			rep := answer.RegionReport{Region: region, RequestId: res.RequestID, Code: code, Message: msg, Compliance: answer.ComplianceOf(o.Rules)}
			if err == nil {
				rep.Message = "handed to an asynchronous invocation of " + x.FanOut.FunctionName
				rep.HandedOver = &answer.HandedOver{FunctionRequestId: out.Result.FunctionRequestId}
			} else {
				rep.Message = fmt.Sprintf("handing the region to an asynchronous invocation (SCF Invoke) failed: %s", msg)
			}
			o.Regions[i] = rep
		})
	}
	wg.Wait()
	handed := 0
	for _, rep := range o.Regions {
		switch {
		case rep.HandedOver != nil:
			handed++
			if o.FirstRequestID == "" {
				o.FirstRequestID = rep.RequestId
			}
		case o.ListingFailure == nil:
			o.ListingFailure = &answer.Failure{Code: rep.Code, Message: "region " + rep.Region + ": " + rep.Message}
			o.ListingRequest = rep.RequestId
		}
	}
	o.Note = fmt.Sprintf("%s: %d of %d regions were handed to asynchronous invocations of %s (see Regions)", why, handed, len(regions), x.FanOut.FunctionName)
	return o
}
