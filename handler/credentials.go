package handler

import (
	"context"
	"errors"
	"time"

	"scf-cvm-project/credentials"
)

// The codes of credential failures besides CodeMissingCredentials; no CVM
// call is made after any of them.
const (
	CodeAssumeRoleFailed    = "InternalError.AssumeRoleFailed"    // 502: STS refused or failed; the message has its Code and RequestId
	CodeMetadataUnreachable = "InternalError.MetadataUnreachable" // 502: the instance role's keys could not be read
)

// retrieveCredentials asks the provider for this invocation's keys,
// bounded like the calls: by the deadline less AnswerMargin (and by the
// providers' own timeouts).
func (h *Handler) retrieveCredentials(ctx context.Context) (credentials.Credentials, error) {
	ctx, cancel := h.batchContext(ctx)
	defer cancel()
	return h.Credentials.Retrieve(ctx)
}

// unexpired returns creds, or new ones when they have expired since the
// invocation began (a long run of batches): an expired key is never sent.
func (h *Handler) unexpired(ctx context.Context, creds credentials.Credentials) (credentials.Credentials, *Error) {
	if !creds.Expired(time.Now()) {
		return creds, nil
	}
	fresh, err := h.Credentials.Retrieve(ctx)
	if err == nil && fresh.Expired(time.Now()) {
		err = errors.New("the provider gave expired keys")
	}
	if err != nil {
		return credentials.Credentials{}, credentialsError(err)
	}
	return fresh, nil
}

// credentialsError maps a provider's error to the answer's code.
func credentialsError(err error) *Error {
	switch {
	case errors.Is(err, credentials.ErrAssumeRole):
		return &Error{Code: CodeAssumeRoleFailed, Message: err.Error()}
	case errors.Is(err, credentials.ErrMetadataUnreachable):
		return &Error{Code: CodeMetadataUnreachable, Message: err.Error()}
	case errors.Is(err, credentials.ErrNotFound):
		return &Error{Code: CodeMissingCredentials, Message: err.Error() +
			"; give the function an execution role, set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY, or run it on an instance with a role"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeDeadlineExceeded, Message: "the invocation's deadline ran out while getting credentials; nothing was sent"}
	}
	return &Error{Code: CodeMissingCredentials, Message: "credentials could not be read: " + err.Error()}
}
