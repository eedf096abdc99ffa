package rules

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler/request"
)

func TestWithRegions(t *testing.T) {
	for _, tt := range []struct {
		name       string
		raw        request.Raw
		named      bool // the request names instances
		defaults   []string
		defaultAll bool
		want       []string
		all        bool
		err        string
	}{
		{"a list", request.Raw{Regions: json.RawMessage(`["ap-guangzhou","ap-beijing","ap-guangzhou"]`)}, false, nil, false, []string{"ap-guangzhou", "ap-beijing"}, false, ""},
		{"every region", request.Raw{Regions: json.RawMessage(`"*"`)}, false, nil, false, nil, true, ""},
		{"a comma-separated string", request.Raw{Regions: json.RawMessage(`"ap-guangzhou, ap-beijing"`)}, false, nil, false, []string{"ap-guangzhou", "ap-beijing"}, false, ""},
		{"RECONCILE_REGIONS", request.Raw{}, false, []string{"ap-shanghai"}, false, []string{"ap-shanghai"}, false, ""},
		{"RECONCILE_REGIONS=*", request.Raw{}, false, nil, true, nil, true, ""},
		{"Region wins over RECONCILE_REGIONS", request.Raw{Region: "ap-beijing"}, false, nil, true, nil, false, ""},
		{"named instances ignore RECONCILE_REGIONS", request.Raw{}, true, nil, true, nil, false, ""},
		{"Regions with named instances", request.Raw{Regions: json.RawMessage(`"*"`)}, true, nil, false, nil, false, "Regions applies to a reconciliation"},
		{"Region and Regions", request.Raw{Region: "ap-beijing", Regions: json.RawMessage(`"*"`)}, false, nil, false, nil, false, "Region and Regions are both given"},
		{"a bad region", request.Raw{Regions: json.RawMessage(`["ap-guangzhou","Beijing"]`)}, false, nil, false, nil, false, `holds "Beijing", which is not a region name`},
		{"empty", request.Raw{Regions: json.RawMessage(`[]`)}, false, nil, false, nil, false, "Regions is empty"},
		{"not a list", request.Raw{Regions: json.RawMessage(`5`)}, false, nil, false, nil, false, "Regions must be a list"},
		{"a star among others", request.Raw{Regions: json.RawMessage(`["*","ap-beijing"]`)}, false, nil, false, nil, false, "give \"*\" alone"},
		{"Project in a rule request", request.Raw{ProjectName: json.RawMessage(`"prod"`)}, false, nil, false, nil, false, "Project cannot be given with Rules or Reconcile"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rr := Request{}
			if tt.named {
				rr.InstanceIDs = []string{"ins-00000001"}
			}
			err := WithRegions(&rr, tt.raw, tt.defaults, tt.defaultAll)
			if tt.err != "" {
				require.NotNil(t, err)
				assert.Contains(t, err.Message, tt.err)
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.want, rr.Regions)
			assert.Equal(t, tt.all, rr.AllRegions)
		})
	}
}
