package cvm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"scf-cvm-project/credentials"
	"scf-cvm-project/signer"
	"strconv"
	"strings"
)

// Version is the CVM API version every action here speaks.
const Version = "2017-03-12"

// MaxInstancesPerCall is the API's limit of InstanceIds.N in one request.
const MaxInstancesPerCall = 100

// Action is one API action's name and parameters. Its JSON encoding is the
// TC3 payload; PutV1Params writes the same parameters flattened for v1, with
// list indexes starting at base.
type Action interface {
	ActionName() string
	PutV1Params(base int, put func(name, value string))
	// Size is the number of instances the call touches, for the log line.
	Size() int
}

// ModifyInstancesProject moves instances into a project.
type ModifyInstancesProject struct {
	InstanceIds []string
	ProjectId   int64
}

func (ModifyInstancesProject) ActionName() string { return "ModifyInstancesProject" }

func (a ModifyInstancesProject) Size() int { return len(a.InstanceIds) }

func (a ModifyInstancesProject) PutV1Params(base int, put func(string, string)) {
	for i, id := range a.InstanceIds {
		put(indexedName("InstanceIds", instanceIDNames[:], base+i), id)
	}
	put("ProjectId", strconv.FormatInt(a.ProjectId, 10))
}

// instanceIDNames holds "InstanceIds.0" to "InstanceIds.100": every batch
// uses them, so they are built once.
var instanceIDNames = func() (names [MaxInstancesPerCall + 1]string) {
	for i := range names {
		names[i] = "InstanceIds." + strconv.Itoa(i)
	}
	return names
}()

// indexedName returns name.i, from names when it holds i.
func indexedName(name string, names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return name + "." + strconv.Itoa(i)
}

// PageSize is the most instances one DescribeInstances call returns (its
// Limit's maximum); listing.Instances asks for full pages.
const PageSize = 100

// DescribeInstances lists instances, by InstanceIds (at most
// MaxInstancesPerCall) or by Filters (not both: the API refuses that),
// a page of Limit (at most PageSize) from Offset.
type DescribeInstances struct {
	InstanceIds []string `json:",omitempty"`
	Filters     []Filter `json:",omitempty"`
	Offset      int
	Limit       int
}

// Filter is one of DescribeInstances' Filters: an instance matches when
// the field Name holds any of Values (and every other filter matches too).
// The names used here are "tag:<key>" (the tag key holds one of the
// values), "tag-key" (the instance has one of the keys) and "project-id".
type Filter struct {
	Name   string
	Values []string
}

// TagFilter returns the filter for instances with the tag key, of any
// value when value is nil.
func TagFilter(key string, value *string) Filter {
	if value == nil {
		return Filter{Name: "tag-key", Values: []string{key}}
	}
	return Filter{Name: "tag:" + key, Values: []string{*value}}
}

func (DescribeInstances) ActionName() string { return "DescribeInstances" }

// Size is the number of instances asked for by id, else the page size.
func (a DescribeInstances) Size() int {
	if len(a.InstanceIds) > 0 {
		return len(a.InstanceIds)
	}
	return a.Limit
}

// PutV1Params flattens the lists as Filters.N.Name and Filters.N.Values.M,
// N and M both counted from base, like InstanceIds.N.
func (a DescribeInstances) PutV1Params(base int, put func(string, string)) {
	for i, id := range a.InstanceIds {
		put(indexedName("InstanceIds", instanceIDNames[:], base+i), id)
	}
	for i, f := range a.Filters {
		prefix := "Filters." + strconv.Itoa(base+i)
		put(prefix+".Name", f.Name)
		for j, v := range f.Values {
			put(prefix+".Values."+strconv.Itoa(base+j), v)
		}
	}
	put("Offset", strconv.Itoa(a.Offset))
	put("Limit", strconv.Itoa(a.Limit))
}

// Instance is what the function reads of one instance, decoded from
// DescribeInstances' InstanceSet (listing sets ProjectID from Placement).
// The API gives SecurityGroupIds [] and the latest operation's fields null
// for an instance without them; absent, null and empty all read as empty.
type Instance struct {
	ID        string `json:"InstanceId"`
	ProjectID int64
	Tags      []Tag
	// SecurityGroupIds are the security groups the instance is bound to.
	SecurityGroupIds []string
	// LatestOperation is the action of the instance's latest operation
	// (e.g. "ModifyInstancesProject"), LatestOperationState its state
	// (OperationOperating, OperationSuccess, OperationFailed) and
	// LatestOperationRequestId the RequestId of the call that started it.
	LatestOperation          string
	LatestOperationState     string
	LatestOperationRequestId string
	// LatestOperationErrorMsg is why a FAILED operation failed.
	LatestOperationErrorMsg string
	// State is InstanceState (PENDING, RUNNING, STOPPED, SHUTDOWN,
	// TERMINATING, LAUNCH_FAILED, ...); RestrictState (NORMAL, EXPIRED,
	// PROTECTIVELY_ISOLATED) and IsolatedSource (NOTISOLATED, ARREAR,
	// EXPIRE, MANMADE, FLOW) say whether and why it is isolated. Absent
	// reads as empty: normal, not isolated.
	State                         string `json:"InstanceState"`
	RestrictState, IsolatedSource string
}

// Busy reports whether an operation is under way on in.
func (in Instance) Busy() bool { return in.LatestOperationState == OperationOperating }

// Moving reports whether in's operation under way is a move of project.
func (in Instance) Moving() bool {
	return in.Busy() && in.LatestOperation == "ModifyInstancesProject"
}

// The states of an instance's latest operation (the API's Instance data
// structure, LatestOperationState).
const (
	OperationOperating = "OPERATING"
	OperationSuccess   = "SUCCESS"
	OperationFailed    = "FAILED"
)

// Tag is one of an instance's tags.
type Tag struct {
	Key, Value string
}

// Caller makes one signed call; *Client is one.
type Caller interface {
	Call(ctx context.Context, keys credentials.Provider, region string, action Action, out any) (Result, error)
}

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
// most MaxTagResources) of ResourceRegion (Tag API 2018-08-13, sent by a
// NewService client).
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

const formContentType = "application/x-www-form-urlencoded"

// newRequest builds one attempt's request, signed at ts (Unix seconds): a
// fresh timestamp (and v1 nonce) each time, so a retry is never a replay.
func (c *Client) newRequest(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64) (*http.Request, error) {
	if c.method != signer.TC3HmacSHA256 {
		return c.newV1Request(ctx, creds, region, action, ts)
	}
	payload, err := json.Marshal(action)
	if err != nil {
		return nil, fmt.Errorf("cvm: encoding %s: %w", action.ActionName(), err)
	}
	call := signer.TC3Call{Service: c.service, Action: action.ActionName(), Version: c.version, Region: region}
	req, err := signer.NewTC3Request(ctx, c.endpoint, call, payload, ts, creds.SecretID, creds.SecretKey, creds.Token)
	if err != nil {
		return nil, fmt.Errorf("cvm: building %s: %w", action.ActionName(), err)
	}
	return req, nil
}

func (c *Client) newV1Request(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64) (*http.Request, error) {
	params := make(map[string]string, 10+2*action.Size())
	params["Action"] = action.ActionName()
	params["Version"] = c.version
	params["Region"] = region
	params["Timestamp"] = strconv.FormatInt(ts, 10)
	params["Nonce"] = strconv.FormatUint(uint64(c.Nonce()), 10)
	params["SecretId"] = creds.SecretID
	params["SignatureMethod"] = string(c.method)
	if creds.Token != "" {
		params["Token"] = creds.Token
	}
	// The legacy spec numbers lists from 1; API 3.0's SDKs from 0.
	base := 0
	if c.legacy {
		base = 1
	}
	action.PutV1Params(base, func(k, v string) { params[k] = v })

	sig, err := signer.SignV1(signer.V1Request{
		HTTPMethod: http.MethodPost,
		Host:       c.endpoint.Host,
		Path:       c.endpoint.Path,
		Params:     params,
		Legacy:     c.legacy,
	}, c.method, creds.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("cvm: signing %s: %w", action.ActionName(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint.String(), strings.NewReader(formBody(params, sig)))
	if err != nil {
		return nil, fmt.Errorf("cvm: building %s: %w", action.ActionName(), err)
	}
	req.Header.Set("Content-Type", formContentType)
	return req, nil
}

// formBody URL-encodes params and the signature, unlike url.Values.Encode
// unsorted: the API takes a form's fields in any order.
func formBody(params map[string]string, signature string) string {
	size := len("Signature=") + 2*len(signature)
	for k, v := range params {
		size += len(k) + len(v) + 2
	}
	var b strings.Builder
	b.Grow(size + size/8)
	for k, v := range params {
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
		b.WriteByte('&')
	}
	b.WriteString("Signature=")
	b.WriteString(url.QueryEscape(signature))
	return b.String()
}
