package handler

import (
	"encoding/json"

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
}

// MarshalJSON writes nil lists as [].
func (b Batch) MarshalJSON() ([]byte, error) {
	type plain Batch
	p := plain(b)
	if p.InstanceIds == nil {
		p.InstanceIds = []string{}
	}
	return json.Marshal(p)
}

// MarshalJSON writes nil lists as [].
func (a Answer) MarshalJSON() ([]byte, error) {
	type plain Answer
	p := plain(a)
	if p.InstanceIds == nil {
		p.InstanceIds = []string{}
	}
	if p.Batches == nil {
		p.Batches = []Batch{}
	}
	return json.Marshal(p)
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
func HTTPResponse(a Answer) events.APIGatewayResponse {
	status := HTTPStatus(a.Code)
	body, err := json.Marshal(a)
	if err != nil { // cannot happen: an Answer is strings, an integer and lists
		status = HTTPStatus(CodeInternalError)
		body = []byte(`{"Code":"InternalError","Message":"the answer could not be written as JSON"}`)
	}
	return events.APIGatewayResponse{
		IsBase64Encoded: false,
		StatusCode:      status,
		Headers:         map[string]string{"Content-Type": "application/json"},
		Body:            string(body),
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
