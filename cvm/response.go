package cvm

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
)

// answer holds both answer shapes: API 3.0's {"Response":{...}} (also what
// the legacy endpoint sends for Version=2017-03-12) and the old
// {"code":4100,"message":"...","codeDesc":"AuthFailure..."}.
type answer struct {
	Response *struct {
		RequestID string `json:"RequestId"`
		Error     *struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Error"`
	} `json:"Response"`
	OldCode     *json.Number `json:"code"`
	OldMessage  string       `json:"message"`
	OldCodeDesc string       `json:"codeDesc"`
}

func parseAnswer(body []byte, out any) (Result, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return Result{}, fmt.Errorf("%w: the answer is not JSON (%d bytes)", ErrBadResponse, len(body))
	}
	switch {
	case a.Response != nil:
		res := Result{RequestID: a.Response.RequestID}
		if e := a.Response.Error; e != nil {
			apiErr := &APIError{Code: e.Code, Message: e.Message, RequestID: res.RequestID}
			if apiErr.Code == "" {
				apiErr.Code = "InternalError.UpstreamBadResponse"
			}
			return res, apiErr
		}
		if out != nil {
			var wrapper struct {
				Response json.RawMessage `json:"Response"`
			}
			if err := json.Unmarshal(body, &wrapper); err == nil {
				err = json.Unmarshal(wrapper.Response, out)
				if err != nil {
					return res, fmt.Errorf("%w: decoding the Response: %w", ErrBadResponse, err)
				}
			}
		}
		return res, nil
	case a.OldCode != nil:
		if code, err := a.OldCode.Int64(); err == nil && code == 0 {
			return Result{}, nil
		}
		apiErr := &APIError{Code: a.OldCodeDesc, Message: a.OldMessage}
		if apiErr.Code == "" {
			apiErr.Code = "Legacy." + a.OldCode.String()
		}
		return Result{}, apiErr
	}
	return Result{}, fmt.Errorf("%w: JSON without Response or code (%d bytes)", ErrBadResponse, len(body))
}

// describeBody names what came back without echoing it: an HTML error page
// or a proxy's text is not worth a log line of its own.
func describeBody(resp *http.Response, body []byte) string {
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	if ct == "" {
		ct = "no content type"
	}
	return ct + ", " + strconv.Itoa(len(body)) + " bytes"
}
