package emulator

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What the Tag API emulator serves: version 2018-08-13 (tag.tencentcloudapi.com;
// AttachResourcesTag, document 651/37825; DetachResourcesTag;
// DescribeProjects, 651/54679 and, in Chinese, 651/78725), on PathTag, signed with a TC3 scope naming
// "tag" or v1. Region is "not required" for any of them.
const (
	TagVersion = "2018-08-13"
	TagService = "tag"

	ActionAttachResourcesTag = "AttachResourcesTag"
	ActionDetachResourcesTag = "DetachResourcesTag"
	ActionDescribeProjects   = "DescribeProjects"
)

// The Tag API's limits: "Resource ID array, which can contain up to 50
// resources" (AttachResourcesTag, DetachResourcesTag); "Each resource can
// have 50 tags at most", a key of 1 to 127 and a value of 1 to 255 Unicode
// characters (Tag, Use Limits, document 651/13354); DescribeProjects'
// Limit is a "fixed value: 1,000".
const (
	MaxTagResources   = 50
	MaxResourceTags   = 50
	MaxTagKeyLength   = 127
	MaxTagValueLength = 255
	MaxProjectsLimit  = 1000
)

// The Tag API's error codes (AttachResourcesTag's and DetachResourcesTag's
// lists in the SDK, tag/v20180813 client.go; meanings from errors.go).
// The two LengthExceeded codes are in the Tag API's errors.go but not in
// those two actions' lists: the documentation does not say what a too
// long key or value gets from them.
const (
	CodeTagReservedKey          = "InvalidParameter.ReservedTagKey"
	CodeTagRegionInvalid        = "InvalidParameterValue.RegionInvalid"
	CodeTagResourceIDInvalid    = "InvalidParameterValue.ResourceIdInvalid"
	CodeTagResourcePrefix       = "InvalidParameterValue.ResourcePrefixInvalid"
	CodeTagServiceType          = "InvalidParameterValue.ServiceTypeInvalid"
	CodeTagKeyIllegal           = "InvalidParameterValue.TagKeyCharacterIllegal"
	CodeTagKeyEmpty             = "InvalidParameterValue.TagKeyEmpty"
	CodeTagKeyTooLong           = "InvalidParameterValue.TagKeyLengthExceeded"
	CodeTagValueIllegal         = "InvalidParameterValue.TagValueCharacterIllegal"
	CodeTagValueTooLong         = "InvalidParameterValue.TagValueLengthExceeded"
	CodeTagResourceTagsExceeded = "LimitExceeded.ResourceAttachedTags"
	CodeTagResourcesPerRequest  = "LimitExceeded.ResourceNumPerRequest"
	CodeTagKeyNotAttached       = "ResourceNotFound.AttachedTagKeyNotFound"
)

var tagService = &service{
	name: TagService, version: TagVersion, endpoint: EndpointTag,
	regional: func(string) bool { return false },
	actions: map[string]func(*Emulator, *request, params) (any, *apiError){
		ActionAttachResourcesTag: func(e *Emulator, q *request, p params) (any, *apiError) { return nil, e.writeTags(q, p, true) },
		ActionDetachResourcesTag: func(e *Emulator, q *request, p params) (any, *apiError) { return nil, e.writeTags(q, p, false) },
		ActionDescribeProjects:   (*Emulator).describeProjects,
	},
	fill: func(c *Call, p params) {
		s := p.strs("ServiceType", "ResourceRegion", "ResourcePrefix", "TagKey", "TagValue", "ProjectName")
		c.ServiceType, c.ResourceRegion, c.ResourcePrefix, c.TagKey, c.TagValue, c.ProjectName = s[0], s[1], s[2], s[3], s[4], s[5]
		c.ResourceIDs, _ = p.list("ResourceIds", "resource ID")
		c.Offset, c.Limit = p.raw("Offset"), p.raw("Limit")
	},
}

// raw is the parameter name as sent ("" when absent), for Call.
func (p params) raw(name string) string {
	if !p.tc3 {
		return p.v1[name]
	}
	if raw, ok := p.body[name]; ok && !isNull(raw) {
		return strings.TrimSpace(string(raw))
	}
	return ""
}

// writeTags is AttachResourcesTag (attach) or DetachResourcesTag: one key
// (and value) on up to 50 CVM instances, all or none. The emulator knows
// CVM instances only: ServiceType "cvm" and ResourcePrefix "instance" (the
// six-segment resource description qcs::cvm:<region>:uin/<uin>:instance/<id>,
// document 651/89122). Its checks, in this order (the documentation gives
// the codes, not their order): ServiceType, ResourcePrefix, ResourceIds
// (1 to 50), TagKey (and TagValue), ResourceRegion, the resources, then
// (attach) at most 50 tags per resource.
//
// A tag attached with a key the resource already has replaces its value
// ("the original tag value will be overwritten", Use Limits). Detaching a
// key a resource does not carry is refused
// ResourceNotFound.AttachedTagKeyNotFound, naming the resources. Tag
// writes are not CVM operations: they change no LatestOperation and are
// not refused while one runs (the documentation mentions no such refusal).
func (e *Emulator) writeTags(q *request, p params, attach bool) *apiError {
	serviceType, _, err := p.str("ServiceType")
	if err != nil {
		return err
	}
	prefix, _, err := p.str("ResourcePrefix")
	if err != nil {
		return err
	}
	ids, err := p.list("ResourceIds", "resource ID")
	if err != nil {
		return err
	}
	key, _, err := p.str("TagKey")
	if err != nil {
		return err
	}
	value, valueSent, err := p.str("TagValue")
	if err != nil {
		return err
	}
	region, _, err := p.str("ResourceRegion")
	if err != nil {
		return err
	}
	switch {
	case serviceType == "":
		return missing("ServiceType")
	case serviceType != Service:
		return errorf(CodeTagServiceType, "The ServiceType %q is not supported by the emulator; use %q.", serviceType, Service)
	case prefix != "instance":
		return errorf(CodeTagResourcePrefix, "The ResourcePrefix %q is not that of a CVM instance; use \"instance\".", prefix)
	case len(ids) == 0:
		return missing("ResourceIds")
	case len(ids) > MaxTagResources:
		return errorf(CodeTagResourcesPerRequest, "The parameter `ResourceIds` has %d resources; at most %d are allowed per request.", len(ids), MaxTagResources)
	}
	if err := checkTagKey(key); err != nil {
		return err
	}
	if attach {
		if !valueSent {
			return missing("TagValue")
		}
		if err := checkTagValue(value); err != nil {
			return err
		}
	}
	if region == "" {
		// AttachResourcesTag: "can be left blank if region is not involved";
		// DetachResourcesTag: "if resources have the region attribute, this
		// field is required". CVM instances have one.
		return errorf(CodeTagRegionInvalid, "The parameter `ResourceRegion` is required for CVM instances, which have a region.")
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle()
	var unknown, missingKey, full []string
	for _, id := range ids {
		in, ok := e.instances[id]
		_, has := in.tagValue(key)
		switch {
		case !ok || !visible(in, region):
			unknown = append(unknown, id)
		case !attach && !has:
			missingKey = append(missingKey, id)
		case attach && !has && len(in.Tags) >= MaxResourceTags:
			full = append(full, id)
		}
	}
	switch {
	case len(unknown) > 0:
		// The documentation does not say whether the Tag API refuses a
		// resource that does not exist; the emulator does, so that a
		// wrong ID or region shows in tests.
		return errorf(CodeTagResourceIDInvalid, "The resource %s is not a CVM instance of region %s.", jsonList(unknown), region)
	case len(missingKey) > 0:
		return errorf(CodeTagKeyNotAttached, "The tag key %q is not attached to the resource %s.", key, jsonList(missingKey))
	case len(full) > 0:
		return errorf(CodeTagResourceTagsExceeded, "The resource %s already has %d tags, the most a resource can have.", jsonList(full), MaxResourceTags)
	}
	for _, id := range ids {
		in := e.instances[id]
		in.Tags = slices.DeleteFunc(slices.Clone(in.Tags), func(t Tag) bool { return t.Key == key })
		if attach {
			in.Tags = append(in.Tags, Tag{Key: key, Value: value})
		}
		e.instances[id] = in
	}
	return nil
}

// reservedTagPrefixes are the tag keys the Tag API refuses to create:
// "Tag keys starting with qcs:, project, 项目 are reserved" (Use Limits,
// document 651/13354); the SDK's InvalidParameter.ReservedTagKey says
// "System reserved tag keys `qcloud`, `tencent` and `project` cannot be
// created". The emulator refuses all of them.
var reservedTagPrefixes = []string{"qcs:", "project", "项目", "qcloud", "tencent"}

// CheckTagKey checks key against the Tag API's naming rules (Use Limits,
// document 651/13354): 1 to 127 Unicode characters, not a reserved prefix,
// characters as tagChar allows, no space at either end. It returns nil or
// the API's error (TagKeyEmpty, ReservedTagKey, TagKeyLengthExceeded,
// TagKeyCharacterIllegal).
func CheckTagKey(key string) error {
	if err := checkTagKey(key); err != nil {
		return err
	}
	return nil
}

func checkTagKey(key string) *apiError {
	switch {
	case key == "":
		return errorf(CodeTagKeyEmpty, "The tag key is empty.")
	case slices.ContainsFunc(reservedTagPrefixes, func(p string) bool { return strings.HasPrefix(key, p) }):
		return errorf(CodeTagReservedKey, "The tag key %q starts with a prefix reserved by the system (qcs:, project, 项目, qcloud, tencent).", key)
	case utf8.RuneCountInString(key) > MaxTagKeyLength:
		return errorf(CodeTagKeyTooLong, "The tag key is %d characters long; at most %d are allowed.", utf8.RuneCountInString(key), MaxTagKeyLength)
	case !tagText(key):
		return errorf(CodeTagKeyIllegal, "The tag key %q has a character the Tag API does not allow (letters, digits, spaces inside, + - = . _ : / @ ( ) [ ] , ; > <).", key)
	}
	return nil
}

// CheckTagValue checks value as CheckTagKey does a key: 1 to 255
// characters (TagValueLengthExceeded), the same characters
// (TagValueCharacterIllegal). The documentation gives no code for an
// empty value; the emulator answers TagValueCharacterIllegal.
func CheckTagValue(value string) error {
	if err := checkTagValue(value); err != nil {
		return err
	}
	return nil
}

func checkTagValue(value string) *apiError {
	switch {
	case utf8.RuneCountInString(value) > MaxTagValueLength:
		return errorf(CodeTagValueTooLong, "The tag value is %d characters long; at most %d are allowed.", utf8.RuneCountInString(value), MaxTagValueLength)
	case value == "" || !tagText(value):
		return errorf(CodeTagValueIllegal, "The tag value %q is empty or has a character the Tag API does not allow (letters, digits, spaces inside, + - = . _ : / @ ( ) [ ] , ; > <).", value)
	}
	return nil
}

// tagText reports whether s is made of the characters Use Limits allows:
// Chinese and English letters, digits 0-9, spaces but not at either end,
// and the special characters "In English: + - = . _ : / @ ( ) [ ] , ; > <"
// and "In Chinese: + - = / @ ( ) 【 】 :" (their full-width forms).
func tagText(s string) bool {
	if s != strings.TrimSpace(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
		case r == ' ' || strings.ContainsRune("+-=._:/@()[],;><", r):
		case strings.ContainsRune("＋－＝／＠（）【】：", r):
		case unicode.Is(unicode.Han, r):
		default:
			return false
		}
	}
	return true
}

// Tag API answers: DescribeProjects' Projects items.
type projectItem struct {
	ProjectId   int64  `json:"ProjectId"`
	ProjectName string `json:"ProjectName"`
	CreatorUin  uint64 `json:"CreatorUin"`
	ProjectInfo string `json:"ProjectInfo"`
	CreateTime  string `json:"CreateTime"`
}

type projectsResult struct {
	Total    int           `json:"Total"`
	Projects []projectItem `json:"Projects"` // never null
}

// describeProjects is DescribeProjects: AllList (1: hidden projects too;
// 0: not), Limit (1 to 1000: the page says "fixed value: 1,000"; the
// emulator takes less too) and Offset, all three required, and the
// filters ProjectId (> 0) and ProjectName, from the Chinese page (651/78725;
// the international page lists no filters). The page does not say whether
// ProjectName matches exactly or in part: the emulator matches exactly. It
// answers Total (the projects that match) and a page of Projects, sorted
// by ProjectId. Project 0, the default project, is listed only if added.
func (e *Emulator) describeProjects(q *request, p params) (any, *apiError) {
	var n [3]int64
	for i, name := range []string{"AllList", "Limit", "Offset"} {
		v, ok, err := p.integer(name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, missing(name)
		}
		n[i] = v
	}
	all, limit, offset := n[0], n[1], n[2]
	switch {
	case all > 1:
		return nil, errorf(CodeInvalidParameter, "The parameter `AllList` must be 0 or 1.")
	case limit < 1 || limit > MaxProjectsLimit:
		return nil, errorf(CodeInvalidParameter, "The parameter `Limit` must be from 1 to %d.", MaxProjectsLimit)
	}
	id, idSent, err := p.integer("ProjectId")
	if err != nil {
		return nil, err
	}
	name, nameSent, err := p.str("ProjectName")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	ps := slices.Clone(e.projects)
	e.mu.Unlock()
	res := &projectsResult{Projects: []projectItem{}}
	var matched []Project
	for _, pr := range ps {
		if pr.Hidden && all == 0 || idSent && id > 0 && pr.ID != id || nameSent && pr.Name != name {
			continue
		}
		matched = append(matched, pr)
	}
	res.Total = len(matched)
	from := min(int(min(offset, int64(len(matched)))), len(matched))
	to := min(from+int(limit), len(matched))
	for _, pr := range matched[from:to] {
		res.Projects = append(res.Projects, projectItem{
			ProjectId: pr.ID, ProjectName: pr.Name, CreatorUin: pr.CreatorUin, ProjectInfo: pr.Info,
			CreateTime: cmp.Or(pr.CreateTime, "2021-10-13 11:03:30"),
		})
	}
	return res, nil
}
