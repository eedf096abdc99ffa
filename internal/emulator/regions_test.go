package emulator

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"scf-cvm-project/signer"
)

// regionTable has an instance in Guangzhou, one in Shanghai and one
// without a region.
func regionTable() []Instance {
	return []Instance{
		{ID: "ins-aaaa0001", Region: "ap-guangzhou"},
		{ID: "ins-aaaa0002", Region: "ap-shanghai", Zone: "ap-shanghai-2"},
		{ID: "ins-aaaa0003", ProjectID: 7},
	}
}

func inRegion(region string) func(*tc3Msg) {
	return func(m *tc3Msg) {
		m.header.Set("X-TC-Action", ActionDescribe)
		m.header.Set("X-TC-Region", region)
	}
}

// DescribeInstances lists the request's region's instances and those
// without a region; a request without a region (legacy) lists them all.
func TestDescribeSeesItsRegionOnly(t *testing.T) {
	legacyNoRegion := func(t *testing.T, v *env) answer {
		return v.sendV1(t, http.MethodPost, PathLegacy, v.v1Params(t, http.MethodPost, PathLegacy, permKey, signer.HmacSHA256, 0, func(p map[string]string) {
			p["Action"] = ActionDescribe
			delete(p, "ProjectId")
			delete(p, "Region")
			setIDs()(p)
		}))
	}
	tests := []struct {
		name  string
		send  func(t *testing.T, v *env) answer
		want  []string
		zones []string
	}{
		{"guangzhou", func(t *testing.T, v *env) answer { return v.postTC3(t, permKey, `{}`, inRegion("ap-guangzhou"), nil) },
			[]string{"ins-aaaa0001", "ins-aaaa0003", "ins-lb000001"}, []string{"ap-guangzhou-3", "ap-guangzhou-3", "ap-guangzhou-3"}},
		{"shanghai", func(t *testing.T, v *env) answer { return v.postTC3(t, permKey, `{}`, inRegion("ap-shanghai"), nil) },
			[]string{"ins-aaaa0002", "ins-aaaa0003", "ins-lb000001"}, []string{"ap-shanghai-2", "ap-shanghai-3", "ap-shanghai-3"}},
		{"another region", func(t *testing.T, v *env) answer { return v.postTC3(t, permKey, `{}`, inRegion("ap-beijing"), nil) },
			[]string{"ins-aaaa0003", "ins-lb000001"}, []string{"ap-beijing-3", "ap-beijing-3"}},
		{"by id, another region", func(t *testing.T, v *env) answer {
			return v.postTC3(t, permKey, `{"InstanceIds":["ins-aaaa0001","ins-aaaa0002"]}`, inRegion("ap-guangzhou"), nil)
		}, []string{"ins-aaaa0001"}, []string{"ap-guangzhou-3"}},
		{"v1 api3 region", func(t *testing.T, v *env) answer {
			return v.describeV1(t, PathAPI3, map[string]string{"Region": "ap-shanghai", "Filters.0.Name": "project-id", "Filters.0.Values.0": "0"})
		}, []string{"ins-aaaa0002", "ins-lb000001"}, []string{"ap-shanghai-2", "ap-shanghai-3"}},
		{"legacy without Region", legacyNoRegion,
			[]string{"ins-aaaa0001", "ins-aaaa0002", "ins-aaaa0003", "ins-lb000001"}, []string{"ap-guangzhou-3", "ap-shanghai-2", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newEnv(t)
			v.e.AddInstances(regionTable()...)
			l := decodeListing(t, tt.send(t, v))
			assert.Equal(t, tt.want, l.ids())
			assert.Equal(t, len(tt.want), l.TotalCount)
			var zones []string
			for _, in := range l.InstanceSet {
				zones = append(zones, in.Placement.Zone)
			}
			assert.Equal(t, tt.zones, zones)
		})
	}
}

// ModifyInstancesProject of an instance of another region answers as for
// an unknown id and moves nothing.
func TestMoveSeesItsRegionOnly(t *testing.T) {
	tests := []struct {
		name   string
		region string
		ids    []string
		code   string
		msg    string
	}{
		{"own region", "ap-guangzhou", []string{"ins-aaaa0001", "ins-aaaa0003"}, "", ""},
		{"other region", "ap-guangzhou", []string{"ins-aaaa0001", "ins-aaaa0002"}, CodeNotFound, `The instance ID ["ins-aaaa0002"] does not exist.`},
		{"other region's own", "ap-shanghai", []string{"ins-aaaa0002"}, "", ""},
		{"neither", "ap-beijing", []string{"ins-aaaa0003", "ins-aaaa0001", "ins-aaaa0002"}, CodeNotFound, `["ins-aaaa0001","ins-aaaa0002"]`},
	}
	for _, tt := range tests {
		for _, path := range []string{PathAPI3, PathLegacy} {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				v := newEnv(t)
				v.e.AddInstances(regionTable()...)
				before := projects(v.e)
				a := v.postV1(t, path, permKey, func(p map[string]string) {
					setIDs(tt.ids...)(p)
					p["Region"] = tt.region
				})
				assert.Equal(t, tt.code, a.Code, a.Message)
				assert.Contains(t, a.Message, tt.msg)
				after := projects(v.e)
				for _, id := range tt.ids {
					if tt.code == "" {
						assert.Equal(t, int64(1045), after[id], id)
					} else {
						assert.Equal(t, before[id], after[id], id)
					}
				}
			})
		}
	}
}
