package emulator

import (
	"fmt"
	"strings"
)

// The error codes the emulator answers, as the CVM API spells them.
const (
	CodeSignatureFailure      = "AuthFailure.SignatureFailure"
	CodeSignatureExpire       = "AuthFailure.SignatureExpire"
	CodeSecretIDNotFound      = "AuthFailure.SecretIdNotFound"
	CodeTokenFailure          = "AuthFailure.TokenFailure"
	CodeInvalidAction         = "InvalidAction"
	CodeNoSuchVersion         = "NoSuchVersion"
	CodeMissingParameter      = "MissingParameter"
	CodeInvalidParameter      = "InvalidParameter"
	CodeInvalidParameterValue = "InvalidParameterValue"
	CodeLimitExceeded         = "InvalidParameterValue.LimitExceeded"
	CodeMalformed             = "InvalidInstanceId.Malformed"
	CodeNotFound              = "InvalidInstanceId.NotFound"
	CodeNotSupported          = "InvalidInstance.NotSupported"
	CodeRequestSizeLimit      = "RequestSizeLimitExceeded"
	CodeUnsupportedProtocol   = "UnsupportedProtocol"
	CodeUnsupportedOperation  = "UnsupportedOperation"
)

// apiError is one error answer: a code and an English message that says
// what is wrong and with which value, never with a signature or a key.
type apiError struct {
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func missing(name string) *apiError {
	return errorf(CodeMissingParameter, "The request is missing a required parameter `%s`.", name)
}

// LegacyCode returns the numeric code the legacy endpoint's old answer
// shape gives for an API 3.0 error code ("" is success, 0).
func LegacyCode(code string) int {
	switch {
	case code == "":
		return 0
	case code == CodeSignatureExpire:
		return 4200
	case strings.HasPrefix(code, "AuthFailure."):
		return 4100
	case code == CodeNotFound:
		return 5000
	default:
		return 4000
	}
}
