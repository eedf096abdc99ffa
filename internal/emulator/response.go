package emulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// api3Response is the API 3.0 answer shape.
type api3Response struct {
	Response api3Body `json:"Response"`
}

type api3Body struct {
	*describeResult            // DescribeInstances' fields, inline, when it succeeded
	Error           *api3Error `json:"Error,omitempty"`
	RequestID       string     `json:"RequestId"`
}

// regionsBody is DescribeRegions' answer, inside Response.
type regionsBody struct {
	*regionsResult
	RequestID string `json:"RequestId"`
}

type api3Error struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// legacyResponse is the legacy endpoint's old answer shape, used when the
// request names no Version.
type legacyResponse struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	CodeDesc string `json:"codeDesc"`
}

// writeAnswer writes err (nil: success, with result, a *describeResult or
// a *regionsResult, when it is not nil) in the old legacy shape or the API
// 3.0 one, with the given HTTP status.
func writeAnswer(w http.ResponseWriter, status int, old bool, requestID string, result any, err *apiError) {
	var body any
	switch {
	case old && err == nil:
		body = legacyResponse{CodeDesc: "Success"}
	case old:
		body = legacyResponse{Code: LegacyCode(err.Code), Message: err.Message, CodeDesc: err.Code}
	case err == nil:
		b := api3Body{RequestID: requestID}
		switch r := result.(type) {
		case *describeResult:
			b.describeResult = r
		case *regionsResult:
			body = map[string]any{"Response": regionsBody{regionsResult: r, RequestID: requestID}}
		}
		if body == nil {
			body = api3Response{Response: b}
		}
	default:
		body = api3Response{Response: api3Body{Error: &api3Error{Code: err.Code, Message: err.Message}, RequestID: requestID}}
	}
	b, mErr := json.Marshal(body)
	if mErr != nil { // only plain strings and ints: cannot happen
		http.Error(w, mErr.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// newRequestID returns a random UUID version 4.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it crashes the program instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
