package answer

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"scf-cvm-project/internal/retry"
)

// The codes of an answer. The validation codes are the ones the CVM API
// itself uses for the same faults, so a caller sees one vocabulary whether
// the function or the API refused the request.
const (
	CodeSuccess               = "Success"
	CodePartialSuccess        = "PartialSuccess"   // 207: SkipInvalid moved some, see Failed
	CodeInvalidParameter      = "InvalidParameter" // not JSON / not an object / bad base64
	CodeMissingParameter      = "MissingParameter"
	CodeUnknownParameter      = "UnknownParameter" // 400: a key the function does not know
	CodeInvalidParameterValue = "InvalidParameterValue"
	CodeInstanceIDMalformed   = "InvalidInstanceId.Malformed"
	CodeLimitExceeded         = "InvalidParameterValue.LimitExceeded"
	CodeRequestTooLarge       = "RequestSizeLimitExceeded"          // 413
	CodeMissingCredentials    = "InternalError.MissingCredentials"  // 500
	CodeInternalError         = "InternalError"                     // 500
	CodeUpstreamUnreachable   = "InternalError.UpstreamUnreachable" // 502 network error
	CodeUpstreamBadResponse   = "InternalError.UpstreamBadResponse" // 502 non-JSON / non-2xx answer
	CodeDeadlineExceeded      = "InternalError.DeadlineExceeded"    // 504
	CodeNoInstances           = "NoInstances"                       // 200: an event that names no instance
)

// The codes of the function's own guards (handler/guard): who may call over
// HTTP, which projects may be targeted, and dry runs.
const (
	CodeUnauthenticated      = "Unauthenticated"                         // 401 no valid bearer token
	CodeProjectNotAllowed    = "UnauthorizedOperation.ProjectNotAllowed" // 403 not in ALLOWED_PROJECT_IDS
	CodeMethodNotAllowed     = "MethodNotAllowed"                        // 405
	CodeUnsupportedMediaType = "UnsupportedMediaType"                    // 415
	CodeDryRun               = "DryRunOperation"                         // 200 signed, nothing sent
)

// Codes the upstream API answers with that get a status of their own.
const (
	CodeInstanceNotFound     = "InvalidInstanceId.NotFound"
	CodeInstanceNotSupported = "InvalidInstance.NotSupported"
	CodeRequestLimitExceeded = "RequestLimitExceeded"
	CodeProjectNotFound      = "InvalidProjectId.NotFound"                   // 404: the caller named a project that does not exist
	CodeBusy                 = "OperationDenied.InstanceOperationInProgress" // 503 + Retry-After: busy, come back
	CodeMutexTaskRunning     = "MutexOperation.TaskRunning"                  // 503 + Retry-After
	codeInstanceState        = "UnsupportedOperation.InstanceState"          // 409: recycled, terminating, launch failed
	// CodeGroupsChanged: someone else changed an instance's security groups
	// while it moved; they are left as they are (KEEP_SECURITY_GROUPS).
	CodeGroupsChanged = "ResourceInUse.SecurityGroupsChanged"
)

// The codes of verification.
const (
	// CodeOperationFailed: the API accepted the move, and its operation ended
	// FAILED (LatestOperationState); a FailedOperation code, as the API's:
	// the operation, not the request, failed.
	CodeOperationFailed = "FailedOperation.ModifyInstancesProject" // 502
	// CodeOperationPending says operations were still OPERATING when the
	// answer was due (see Pending): the work is unfinished.
	CodeOperationPending = "OperationPending" // 202
)

// RetryAfter is the Retry-After (seconds) of a 503 for busy instances
// and of a 202 for moves still under way: operations of the CVM API take
// seconds.
const RetryAfter = 5

// The codes of the function's settings and credentials; no CVM call is
// made after any of them.
const (
	CodeInvalidConfig       = "InternalError.InvalidConfig"       // 500: a setting is malformed; every invocation is refused
	CodeAssumeRoleFailed    = "InternalError.AssumeRoleFailed"    // 502: STS refused or failed; the message has its Code and RequestId
	CodeMetadataUnreachable = "InternalError.MetadataUnreachable" // 502: the instance role's keys could not be read
)

// Error is a failure told to the caller: an API-style code and a message
// saying which field and why.
type Error struct {
	Code    string
	Message string
}

// Error returns "Code: Message".
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	return e.Code + ": " + e.Message
}

// Errorf builds an *Error; the message names the field and says why.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// HTTPStatus maps an answer's code to the HTTP status of the reply; the
// table is in docs/requests-and-answers.md#answers. A code it does not know
// (AuthFailure.*, the upstream's UnauthorizedOperation*, InternalServerError)
// is the upstream's failure: 502.
func HTTPStatus(code string) int {
	switch code {
	case CodeSuccess, CodeDryRun, CodeNoInstances:
		return http.StatusOK
	case CodeUnknownParameter:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeProjectNotAllowed:
		return http.StatusForbidden
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case CodePartialSuccess:
		return http.StatusMultiStatus
	case CodeOperationPending:
		return http.StatusAccepted
	case CodeInstanceNotFound, CodeProjectNotFound:
		return http.StatusNotFound
	case CodeBusy, CodeMutexTaskRunning:
		return http.StatusServiceUnavailable
	case CodeInstanceNotSupported:
		return http.StatusConflict
	case CodeRequestTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeInternalError, CodeMissingCredentials, CodeInvalidConfig:
		return http.StatusInternalServerError
	case CodeAssumeRoleFailed, CodeMetadataUnreachable:
		return http.StatusBadGateway
	case CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	switch {
	case strings.HasPrefix(code, CodeInvalidParameter), // also InvalidParameterValue*
		strings.HasPrefix(code, CodeMissingParameter),
		strings.HasPrefix(code, CodeInstanceIDMalformed):
		return http.StatusBadRequest
	case retry.Throttle(code):
		return http.StatusTooManyRequests
	case strings.HasPrefix(code, codeInstanceState):
		return http.StatusConflict
	case strings.HasPrefix(code, "InvalidProjectId"):
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}

// maxQuoted is how much of a bad value a message repeats.
const maxQuoted = 64

// Quote quotes s for a message, cut to 64 bytes (at a rune boundary) when
// it is absurdly long.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return fmt.Sprintf("%q", s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
