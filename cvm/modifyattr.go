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
