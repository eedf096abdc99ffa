package cvm

// MaxSecurityGroups is how many security groups an instance may be bound
// to, and so the most SecurityGroups one ModifyInstancesAttribute takes.
const MaxSecurityGroups = 5

// ModifyInstancesAttribute binds instances (at most MaxInstancesPerCall)
// to SecurityGroups, which replace the groups they had: the one attribute
// this client changes. The function calls it to associate again the
// groups a move detached (KEEP_SECURITY_GROUPS).
type ModifyInstancesAttribute struct {
	InstanceIds    []string
	SecurityGroups []string
}

func (ModifyInstancesAttribute) ActionName() string { return "ModifyInstancesAttribute" }

func (a ModifyInstancesAttribute) Size() int { return len(a.InstanceIds) }

// PutV1Params numbers SecurityGroups.N from base, as InstanceIds.N.
func (a ModifyInstancesAttribute) PutV1Params(base int, put func(string, string)) {
	for i, id := range a.InstanceIds {
		put(indexedName("InstanceIds", instanceIDNames[:], base+i), id)
	}
	for i, sg := range a.SecurityGroups {
		put(indexedName("SecurityGroups", nil, base+i), sg)
	}
}

// MaxTagResources is the most resources one AttachResourcesTag or
// DetachResourcesTag names (Tag API 2018-08-13).
const MaxTagResources = 50

// AttachResourcesTag sets TagKey to TagValue on instances (ResourceIds, at
// most MaxTagResources) of ResourceRegion (Tag API 2018-08-13; the client
// of NewTag sends it).
type AttachResourcesTag struct {
	ServiceType    string // "cvm"
	ResourceIds    []string
	TagKey         string
	TagValue       string
	ResourceRegion string
	ResourcePrefix string // "instance"
}

func (AttachResourcesTag) ActionName() string { return "AttachResourcesTag" }

func (a AttachResourcesTag) Size() int { return len(a.ResourceIds) }

func (a AttachResourcesTag) PutV1Params(base int, put func(string, string)) {
	putTagParams(base, put, a.ServiceType, a.ResourceIds, a.TagKey, a.ResourceRegion, a.ResourcePrefix)
	put("TagValue", a.TagValue)
}

// DetachResourcesTag removes TagKey from instances (Tag API 2018-08-13).
type DetachResourcesTag struct {
	ServiceType    string
	ResourceIds    []string
	TagKey         string
	ResourceRegion string
	ResourcePrefix string
}

func (DetachResourcesTag) ActionName() string { return "DetachResourcesTag" }

func (a DetachResourcesTag) Size() int { return len(a.ResourceIds) }

func (a DetachResourcesTag) PutV1Params(base int, put func(string, string)) {
	putTagParams(base, put, a.ServiceType, a.ResourceIds, a.TagKey, a.ResourceRegion, a.ResourcePrefix)
}

func putTagParams(base int, put func(string, string), service string, ids []string, key, region, prefix string) {
	put("ServiceType", service)
	for i, id := range ids {
		put(indexedName("ResourceIds", nil, base+i), id)
	}
	put("TagKey", key)
	put("ResourceRegion", region)
	put("ResourcePrefix", prefix)
}
