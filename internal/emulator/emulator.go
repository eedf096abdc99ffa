package emulator

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// What the emulator serves.
const (
	Action         = "ModifyInstancesProject" // the action that moves instances
	ActionDescribe = "DescribeInstances"      // the action that lists them
	Version        = "2017-03-12"             // the CVM API version answered
	Service        = "cvm"                    // the service a TC3 credential scope must name

	PathLegacy = "/v2/index.php" // the legacy endpoint's path
	PathAPI3   = "/"             // API 3.0's path
	PathTag    = "/tag/"         // the Tag API's path on the emulator (tag.tencentcloudapi.com's /): point TAG_ENDPOINT here
	PathSCF    = "/scf/"         // SCF's API path on the emulator (scf.tencentcloudapi.com's /)

	EndpointLegacy = "legacy" // Call.Endpoint of a request to PathLegacy
	EndpointAPI3   = "api3"   // Call.Endpoint of a request to PathAPI3
	EndpointTag    = "tag"    // Call.Endpoint of a request to PathTag
	EndpointSCF    = "scf"    // Call.Endpoint of a request to PathSCF

	MaxInstanceIDs = 100               // IDs one request may carry
	MaxClockSkew   = 300 * time.Second // how far a request's timestamp may be from the clock
)

// Key is a credential the emulator accepts. A Key with a Token is a
// temporary credential: requests signed with it must carry exactly that
// token, and requests signed with a Key without one must carry none. A Key
// with an Expires is refused from then on (AuthFailure.TokenFailure).
type Key struct {
	SecretID, SecretKey, Token string
	Expires                    time.Time // zero: never
}

// Instance is one CVM instance of the table. A LoadBalanced instance is
// bound to a CLB and cannot change project.
type Instance struct {
	ID           string
	ProjectID    int64
	LoadBalanced bool
	Tags         []Tag

	// Region is the region the instance is in, like "ap-guangzhou": a
	// request naming another Region does not see it (DescribeInstances
	// leaves it out, the other actions answer InvalidInstanceId.NotFound).
	// "" puts it in every region, as does a request naming none (the
	// legacy endpoint's). See regions.go.
	Region string
	// Zone is DescribeInstances' Placement.Zone; "" answers the region's
	// (the instance's, else the request's) with "-3", like "ap-guangzhou-3".
	Zone string
	// SecurityGroupIDs are the security groups bound to the instance, like
	// "sg-5275dorp" (DescribeInstances' SecurityGroupIds).
	SecurityGroupIDs []string
	// FailMove makes every move of the instance end FAILED, its project
	// unchanged (operations.go).
	FailMove bool

	// FailMoveMessage is the LatestOperationErrorMsg of a move that ends
	// FAILED because of FailMove ("": a message of the emulator's).
	FailMoveMessage string

	// The instance's latest operation, as DescribeInstances gives it: the
	// action (LatestOperation, like "ModifyInstancesProject"), its state
	// (OperationOperating, OperationSuccess or OperationFailed) and the
	// RequestId of the call that started it; "" when it had none.
	LatestOperation, LatestOperationState, LatestOperationRequestID string
	// LatestOperationErrorMsg is the reason a FAILED latest operation
	// gives; "" for none (DescribeInstances then leaves it out).
	LatestOperationErrorMsg string

	// State is DescribeInstances' InstanceState (StatePending, ...); ""
	// answers StateRunning. RestrictState ("": not given) and
	// IsolatedSource ("": not given) are given as set. See states.go.
	State, RestrictState, IsolatedSource string
}

// Call records one HTTP request received, whatever its outcome.
type Call struct {
	Endpoint                                 string // EndpointLegacy, EndpointAPI3, EndpointTag or EndpointSCF; "" for another path
	SignatureMethod                          string // "HmacSHA1", "HmacSHA256", "TC3-HMAC-SHA256" or as sent
	Action, Region, Version, SecretID, Nonce string
	HasToken                                 bool
	InstanceIDs                              []string // in the order of their index N (v1) or of the array (TC3)
	ProjectID                                string   // as sent ("" when absent)
	Filters                                  []Filter // DescribeInstances: in the order of their index N
	Offset, Limit                            string   // DescribeInstances and DescribeProjects: as sent ("" when absent)
	SecurityGroups                           []string // ModifyInstancesAttribute: in the order of their index N (v1) or of the array (TC3)

	// The Tag API's AttachResourcesTag and DetachResourcesTag (tagapi.go).
	ServiceType, ResourceRegion, ResourcePrefix, TagKey, TagValue string
	ResourceIDs                                                   []string
	// SCF's Invoke (scf.go): FunctionName, InvocationType, Namespace and
	// Qualifier as sent, and ClientContext, the event.
	FunctionName, InvocationType, Namespace, Qualifier, ClientContext string
	// DescribeProjects' ProjectName filter, as sent (tagapi.go).
	ProjectName string

	Code      string // "" on success, else the error code answered
	RequestID string
	Fault     string // the scripted fault it got (FaultKind.String, or "abandoned"); "" for none
}

// Emulator is an http.Handler that answers ModifyInstancesProject like the
// CVM API. Its zero value is not usable: call New. All methods are safe for
// concurrent use.
type Emulator struct {
	mu         sync.Mutex
	now        func() time.Time
	keys       map[string]Key
	instances  map[string]Instance
	calls      []Call
	onCall     func(Call)
	faults     faults            // faults.go
	limits     rateLimits        // ratelimit.go
	ops        operations        // operations.go
	states     stateRules        // states.go
	projects   []Project         // projects.go; nil: every project id exists
	regions    []RegionInfo      // regions.go; nil: those of the instances
	failRegion map[string]string // regions.go: region → the code its calls get
	scf        functions         // scf.go

	describeOK   int    // DescribeInstances answered with success so far
	describeFail *fault // set by FailDescribeInstances
}

// New returns an emulator with no keys, no instances and time.Now as clock.
func New() *Emulator {
	return &Emulator{
		now:       time.Now,
		keys:      map[string]Key{},
		instances: map[string]Instance{},
		ops:       operations{pending: map[string]pendingOp{}},
	}
}

// SetClock sets the clock request timestamps are checked against.
func (e *Emulator) SetClock(now func() time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = now
}

// AddKey accepts k, replacing any key with the same SecretID.
func (e *Emulator) AddKey(k Key) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys[k.SecretID] = k
}

// AddInstances adds instances to the table, replacing those with the same ID.
func (e *Emulator) AddInstances(in ...Instance) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, i := range in {
		e.instances[i.ID] = i.clone()
		delete(e.ops.pending, i.ID) // a replaced instance has no move under way
	}
}

// Instance returns the instance id and whether it is in the table, whatever
// its Region, its latest operation settled on the emulator's clock.
func (e *Emulator) Instance(id string) (Instance, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle()
	i, ok := e.instances[id]
	return i.clone(), ok
}

// Instances returns the table sorted by ID, operations settled as Instance.
func (e *Emulator) Instances() []Instance {
	e.mu.Lock()
	e.settle()
	out := make([]Instance, 0, len(e.instances))
	for _, i := range e.instances {
		out = append(out, i.clone())
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Calls returns a copy of the requests received so far, in arrival order.
func (e *Emulator) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Call, len(e.calls))
	for n, c := range e.calls {
		c.InstanceIDs = slices.Clone(c.InstanceIDs)
		c.Filters = cloneFilters(c.Filters)
		c.SecurityGroups = slices.Clone(c.SecurityGroups)
		c.ResourceIDs = slices.Clone(c.ResourceIDs)
		out[n] = c
	}
	return out
}

// OnCall sets a function called with each Call once it is recorded and
// before the answer is written, e.g. to log it. It must not block for long.
func (e *Emulator) OnCall(f func(Call)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onCall = f
}

func (e *Emulator) record(c Call) {
	e.mu.Lock()
	e.calls = append(e.calls, c)
	f := e.onCall
	e.mu.Unlock()
	if f != nil {
		f(c)
	}
}

func (e *Emulator) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now()
}

func (e *Emulator) key(secretID string) (Key, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k, ok := e.keys[secretID]
	return k, ok
}

// SeedInstances returns n instances ins-00000001.. in project 0 and, when
// n > 0, ins-lb000001 bound to a load balancer.
func SeedInstances(n int) ([]Instance, error) {
	if n < 0 || n > 99_999_999 {
		return nil, fmt.Errorf("emulator: cannot seed %d instances (want 0 to 99999999)", n)
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]Instance, 0, n+1)
	for i := 1; i <= n; i++ {
		out = append(out, Instance{ID: fmt.Sprintf("ins-%08d", i)})
	}
	return append(out, Instance{ID: "ins-lb000001", LoadBalanced: true}), nil
}

// ExampleKey returns the key of the API documentation's examples.
func ExampleKey() Key {
	return Key{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}
}
