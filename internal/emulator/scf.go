package emulator

import (
	"cmp"
	"encoding/json"
	"slices"
)

// What the SCF emulator serves: Invoke (SCF API version 2018-04-16,
// scf.tencentcloudapi.com, document 583/17243; 100 requests a second), on
// PathSCF, signed with a TC3 scope naming "scf" or v1. Region is required.
const (
	SCFVersion   = "2018-04-16"
	SCFService   = "scf"
	ActionInvoke = "Invoke"

	InvocationEvent           = "Event"           // asynchronous: SCF queues the event
	InvocationRequestResponse = "RequestResponse" // synchronous, Invoke's default

	DefaultNamespace = "default" // Namespace when none is sent (InvokeFunction's page: "defaults to default")
	DefaultQualifier = "$LATEST" // Qualifier when none is sent ("It defaults to $LATEST")

	// MaxEventContext is the largest ClientContext of an Event invocation
	// ("128 KB for asynchronous invocations").
	MaxEventContext = 128 << 10
)

// SCF's error codes (Invoke's list in the SDK, scf/v20180416 client.go,
// and errors.go). InvalidParameterValue.ClientContext ("Function running
// parameter error") is in errors.go, not in Invoke's list: the
// documentation gives no code for a ClientContext over 128 KB.
const (
	CodeFunctionNotFound     = "ResourceNotFound.Function"
	CodeInvokeParam          = "InvalidParameterValue.Param" // "The input parameter is not in the standard JSON format"
	CodeInvokeClientContext  = "InvalidParameterValue.ClientContext"
	CodeInvokeInvocationType = "InvalidParameterValue"
)

// Invocation is one Invoke the emulator accepted, as SCF would deliver it
// to the function: ClientContext is the event.
type Invocation struct {
	RequestID         string // the Invoke call's
	FunctionRequestID string // the invocation's, as Result.FunctionRequestId gives it
	Region            string
	Namespace         string // as resolved: DefaultNamespace when none was sent
	FunctionName      string
	Qualifier         string // as resolved: DefaultQualifier when none was sent
	InvocationType    string
	ClientContext     string // the event, JSON
	SecretID          string // the key the call was signed with
}

// Event returns the invocation's event, as SCF hands it to the function.
func (i Invocation) Event() []byte { return []byte(i.ClientContext) }

// functions is SCF's state, guarded by Emulator.mu.
type functions struct {
	known       map[string]bool // namespace + "/" + name
	invocations []Invocation
	drained     int // invocations handed out by DrainInvocations
}

// AddFunction makes Invoke know the function name in namespace ("":
// DefaultNamespace), in every region; Invoke answers
// ResourceNotFound.Function for any other.
func (e *Emulator) AddFunction(namespace, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.scf.known == nil {
		e.scf.known = map[string]bool{}
	}
	e.scf.known[cmp.Or(namespace, DefaultNamespace)+"/"+name] = true
}

// Invocations returns every invocation accepted so far, in arrival order.
func (e *Emulator) Invocations() []Invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.scf.invocations)
}

// DrainInvocations returns the invocations accepted since the last
// DrainInvocations, in arrival order, so that a test can deliver each to
// the function as SCF would, then drain again those that delivery caused,
// until none is left.
func (e *Emulator) DrainInvocations() []Invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := slices.Clone(e.scf.invocations[e.scf.drained:])
	e.scf.drained = len(e.scf.invocations)
	return out
}

var scfService = &service{
	name: SCFService, version: SCFVersion, endpoint: EndpointSCF,
	regional: func(string) bool { return true },
	actions: map[string]func(*Emulator, *request, params) (any, *apiError){
		ActionInvoke: (*Emulator).invoke,
	},
	fill: func(c *Call, p params) {
		s := p.strs("FunctionName", "InvocationType", "Namespace", "Qualifier", "ClientContext")
		c.FunctionName, c.InvocationType, c.Namespace, c.Qualifier, c.ClientContext = s[0], s[1], s[2], s[3], s[4]
	},
}

// invokeResult is Invoke's answer: Result, whose fields "Null is returned
// for asynchronous invocations" but FunctionRequestId ("ID of the
// executed function"); InvokeResult is "not available for Invoke API".
type invokeResult struct {
	Result struct {
		Log               *string  `json:"Log"`
		RetMsg            *string  `json:"RetMsg"`
		ErrMsg            *string  `json:"ErrMsg"`
		MemUsage          *int64   `json:"MemUsage"`
		Duration          *float64 `json:"Duration"`
		BillDuration      *int64   `json:"BillDuration"`
		FunctionRequestId string   `json:"FunctionRequestId"`
	} `json:"Result"`
}

// invoke is Invoke with InvocationType Event: it checks FunctionName
// (given, known: ResourceNotFound.Function), InvocationType, ClientContext
// (JSON, at most 128 KB), records the invocation and answers at once with
// its FunctionRequestId. A synchronous invocation (RequestResponse, the
// default) is refused UnsupportedOperation: the emulator does not run
// functions; that is its limit, not the API's.
func (e *Emulator) invoke(q *request, p params) (any, *apiError) {
	s := p.strs("FunctionName", "InvocationType", "Namespace", "Qualifier", "ClientContext")
	name, typ, namespace, qualifier, payload := s[0], s[1], cmp.Or(s[2], DefaultNamespace), cmp.Or(s[3], DefaultQualifier), s[4]
	for _, n := range []string{"FunctionName", "InvocationType", "Namespace", "Qualifier", "ClientContext"} {
		if _, _, err := p.str(n); err != nil {
			return nil, err
		}
	}
	switch {
	case name == "":
		return nil, missing("FunctionName")
	case typ != "" && typ != InvocationEvent && typ != InvocationRequestResponse:
		return nil, errorf(CodeInvokeInvocationType, "The InvocationType %q is not %s or %s.", typ, InvocationRequestResponse, InvocationEvent)
	case typ != InvocationEvent:
		return nil, errorf(CodeUnsupportedOperation, "The emulator takes asynchronous invocations only (InvocationType %s); it does not run functions.", InvocationEvent)
	case payload != "" && !json.Valid([]byte(payload)):
		return nil, errorf(CodeInvokeParam, "The ClientContext is not in the standard JSON format.")
	case len(payload) > MaxEventContext:
		return nil, errorf(CodeInvokeClientContext, "The ClientContext is %d bytes; an asynchronous invocation takes at most %d.", len(payload), MaxEventContext)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.scf.known[namespace+"/"+name] {
		return nil, errorf(CodeFunctionNotFound, "The function %s does not exist in namespace %s.", name, namespace)
	}
	inv := Invocation{
		RequestID: q.requestID, FunctionRequestID: newRequestID(), Region: q.region,
		Namespace: namespace, FunctionName: name, Qualifier: qualifier, InvocationType: typ,
		ClientContext: payload, SecretID: q.secretID,
	}
	e.scf.invocations = append(e.scf.invocations, inv)
	res := &invokeResult{}
	res.Result.FunctionRequestId = inv.FunctionRequestID
	return res, nil
}
