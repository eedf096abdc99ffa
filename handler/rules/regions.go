package rules

import (
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
)

// EnvReconcileRegions names the setting of the regions a reconciliation
// covers when its request names none (handler/config reads it).
const EnvReconcileRegions = "RECONCILE_REGIONS"

// WithRegions adds to rr what raw says of regions beyond Region: Regions (a
// list, or "*") for a reconciliation, else, with neither, RECONCILE_REGIONS
// (regions, or all). Project is refused: each rule names its own. Pure.
func WithRegions(rr *Request, raw request.Raw, regions []string, all bool) *answer.Error {
	if raw.ProjectName != nil {
		return answer.Errorf(answer.CodeInvalidParameterValue, "Project cannot be given with Rules or Reconcile: each rule names its project (ProjectId or Project)")
	}
	rr.RulesJSON = raw.Rules
	if request.Present(raw.Regions) {
		if rr.InstanceIDs != nil {
			return answer.Errorf(answer.CodeInvalidParameterValue, "Regions applies to a reconciliation; named instances are looked for in Region")
		}
		if raw.Region != "" {
			return answer.Errorf(answer.CodeInvalidParameterValue, "Region and Regions are both given; give Region for one region, or Regions for several (\"*\": every region)")
		}
		var err *answer.Error
		rr.Regions, rr.AllRegions, err = request.ReadRegions(raw.Regions)
		return err
	}
	if rr.InstanceIDs == nil && raw.Region == "" {
		rr.Regions, rr.AllRegions = regions, all
	}
	return nil
}
