package handler

import (
	"encoding/json"
	"net/http"

	"github.com/tencentyun/scf-go-lib/events"
)

// Batch is the outcome of one ModifyInstancesProject call.
type Batch struct {
	RequestId   string   `json:"RequestId"`
	Code        string   `json:"Code"`
	Message     string   `json:"Message"`
	InstanceIds []string `json:"InstanceIds"` // never null in JSON
}

// Answer is what the function returns: the request echoed, the outcome
// of each batch, and at the top the outcome that matters (see Summarize).
type Answer struct {
	RequestId   string   `json:"RequestId"`
	Code        string   `json:"Code"`
	Message     string   `json:"Message"`
	ProjectId   *int64   `json:"ProjectId"`   // null when it could not be parsed
	InstanceIds []string `json:"InstanceIds"` // never null in JSON: [] when empty
	Batches     []Batch  `json:"Batches"`     // never null in JSON
	// DryRun is what a dry run would have sent; absent otherwise.
	DryRun *DryRun `json:"DryRun,omitempty"`

	// The tag rules (ruleanswer.go): what each rule did, and the instances
	// asked about that do not exist (in that region). [] otherwise.
	Rules    []RuleReport `json:"Rules"`    // never null in JSON
	NotFound []string     `json:"NotFound"` // never null in JSON

	// CredentialSource names the provider of the keys that signed the
	// calls ("env", "assumed-role:<arn>", "cvm-role:<name>"); absent
	// when no credentials were obtained.
	CredentialSource string `json:"CredentialSource,omitempty"`
}

// batchJSON and answerJSON are Batch and Answer without their MarshalJSON
// methods: marshalling them directly skips the pass in which encoding/json
// re-validates and compacts what a Marshaler returns.
type (
	batchJSON  Batch
	answerJSON struct {
		RequestId   string           `json:"RequestId"`
		Code        string           `json:"Code"`
		Message     string           `json:"Message"`
		ProjectId   *int64           `json:"ProjectId"`
		InstanceIds []string         `json:"InstanceIds"`
		Batches     []batchJSON      `json:"Batches"`
		Rules       []ruleReportJSON `json:"Rules"`
		NotFound    []string         `json:"NotFound"`
		DryRun      *DryRun          `json:"DryRun,omitempty"`
		// CredentialSource as in Answer.
		CredentialSource string `json:"CredentialSource,omitempty"`
	}
)

func (b Batch) wire() batchJSON {
	if b.InstanceIds == nil {
		b.InstanceIds = []string{}
	}
	return batchJSON(b)
}

func (a Answer) wire() answerJSON {
	w := answerJSON{
		RequestId:   a.RequestId,
		Code:        a.Code,
		Message:     a.Message,
		ProjectId:   a.ProjectId,
		InstanceIds: a.InstanceIds,
		Batches:     make([]batchJSON, len(a.Batches)),
		DryRun:      a.DryRun,
		Rules:       make([]ruleReportJSON, len(a.Rules)),
		NotFound:    a.NotFound,

		CredentialSource: a.CredentialSource,
	}
	if w.InstanceIds == nil {
		w.InstanceIds = []string{}
	}
	if w.NotFound == nil {
		w.NotFound = []string{}
	}
	for i, b := range a.Batches {
		w.Batches[i] = b.wire()
	}
	for i, r := range a.Rules {
		w.Rules[i] = r.wire()
	}
	return w
}

// MarshalJSON writes nil lists as [].
func (b Batch) MarshalJSON() ([]byte, error) { return json.Marshal(b.wire()) }

// MarshalJSON writes nil lists as [].
func (a Answer) MarshalJSON() ([]byte, error) { return json.Marshal(a.wire()) }

// JSON returns the answer's JSON, as MarshalJSON does but in one pass.
func (a Answer) JSON() []byte {
	b, err := json.Marshal(a.wire())
	if err != nil { // cannot happen: an Answer is strings, an integer and lists of them
		return []byte(`{"RequestId":"","Code":"InternalError","Message":"the answer could not be written as JSON","ProjectId":null,"InstanceIds":[],"Batches":[],"Rules":[],"NotFound":[]}`)
	}
	return b
}

// Summarize sets the top-level RequestId/Code/Message from the batches:
// those of the first failing batch (Code not Success), else of the first
// batch, with Message "" on success. Without batches it changes nothing.
func (a *Answer) Summarize() {
	if len(a.Batches) == 0 {
		return
	}
	pick := a.Batches[0]
	for _, b := range a.Batches {
		if b.Code != CodeSuccess {
			pick = b
			break
		}
	}
	a.RequestId, a.Code, a.Message = pick.RequestId, pick.Code, pick.Message
	if a.Code == CodeSuccess {
		a.Message = ""
	}
}

// HTTPResponse wraps the answer for API Gateway and the function URL:
// status HTTPStatus(a.Code), a JSON body, and all four fields of
// events.APIGatewayResponse.
// A 401 also says which scheme authenticates (WWW-Authenticate: Bearer).
func HTTPResponse(a Answer) events.APIGatewayResponse {
	status := HTTPStatus(a.Code)
	headers := map[string]string{"Content-Type": "application/json"}
	if status == http.StatusUnauthorized {
		headers["WWW-Authenticate"] = "Bearer"
	}
	return events.APIGatewayResponse{
		IsBase64Encoded: false,
		StatusCode:      status,
		Headers:         headers,
		Body:            string(a.JSON()),
	}
}

// FailedAnswer builds the answer for an error before any upstream call,
// echoing what was parsed of raw. A nil err is itself an internal error.
func FailedAnswer(err *Error, raw RawRequest) Answer {
	if err == nil {
		err = errorf(CodeInternalError, "the request failed without an error")
	}
	a := Answer{
		Code:        err.Code,
		Message:     err.Message,
		InstanceIds: append([]string{}, raw.InstanceIDs...),
		Batches:     []Batch{},
	}
	if raw.ProjectID != nil {
		id := *raw.ProjectID
		a.ProjectId = &id
	}
	return a
}
