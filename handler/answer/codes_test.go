package answer

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{CodeSuccess, http.StatusOK},
		{CodeNoInstances, http.StatusOK},
		{CodeAssumeRoleFailed, http.StatusBadGateway},
		{CodeMetadataUnreachable, http.StatusBadGateway},
		{CodeDryRun, http.StatusOK},

		{CodeUnauthenticated, http.StatusUnauthorized},
		{CodeProjectNotAllowed, http.StatusForbidden},
		{CodeMethodNotAllowed, http.StatusMethodNotAllowed},
		{CodeUnsupportedMediaType, http.StatusUnsupportedMediaType},
		{CodeInvalidConfig, http.StatusInternalServerError},
		{CodePartialSuccess, http.StatusMultiStatus},

		{CodeInvalidParameter, http.StatusBadRequest},
		{CodeMissingParameter, http.StatusBadRequest},
		{CodeUnknownParameter, http.StatusBadRequest},
		{CodeInvalidParameterValue, http.StatusBadRequest},
		{CodeInstanceIDMalformed, http.StatusBadRequest},
		{CodeLimitExceeded, http.StatusBadRequest},
		{"InvalidParameter.ProjectIdNotExist", http.StatusBadRequest},
		{"InvalidParameterValue.ProjectIdNotExist", http.StatusBadRequest},
		{"MissingParameter.Region", http.StatusBadRequest},

		{"InvalidInstanceId.NotFound", http.StatusNotFound},
		{"InvalidInstance.NotSupported", http.StatusConflict},
		{CodeRequestTooLarge, http.StatusRequestEntityTooLarge},
		{"RequestLimitExceeded", http.StatusTooManyRequests},
		{"RequestLimitExceeded.UinLimitExceeded", http.StatusTooManyRequests},

		{CodeInternalError, http.StatusInternalServerError},
		{CodeMissingCredentials, http.StatusInternalServerError},
		{CodeDeadlineExceeded, http.StatusGatewayTimeout},

		{CodeUpstreamUnreachable, http.StatusBadGateway},
		{CodeUpstreamBadResponse, http.StatusBadGateway},
		{"InternalServerError", http.StatusBadGateway},
		{"AuthFailure.SignatureFailure", http.StatusBadGateway},
		{"AuthFailure.SecretIdNotFound", http.StatusBadGateway},
		{"UnauthorizedOperation", http.StatusBadGateway},
		{"UnauthorizedOperation.CamNoAuth", http.StatusBadGateway},
		{"UnauthorizedOperation.ProjectNotAllowedX", http.StatusBadGateway},
		{"Unauthenticated.X", http.StatusBadGateway},
		{"InvalidInstanceId", http.StatusBadGateway},
		{"RequestLimitExceededX", http.StatusBadGateway},
		{"ResourceInsufficient", http.StatusBadGateway},
		{"", http.StatusBadGateway},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, HTTPStatus(tt.code), "code %q", tt.code)
	}
}

func TestErrorString(t *testing.T) {
	err := &Error{Code: CodeMissingParameter, Message: "ProjectId is missing"}
	assert.Equal(t, "MissingParameter: ProjectId is missing", err.Error())
	var e error = err
	assert.EqualError(t, e, "MissingParameter: ProjectId is missing")
	assert.Equal(t, "<nil>", (*Error)(nil).Error())
}
