package credentials

import "errors"

// Errors of the providers, wrapped with what failed; check them with
// errors.Is. A provider that finds nothing returns ErrNotFound (in
// credentials.go), which lets a Chain go on to the next one.
var (
	// ErrAssumeRole: STS did not issue the role's keys (it refused, or
	// answered nothing usable). An *STSError says what STS answered.
	ErrAssumeRole = errors.New("sts AssumeRole failed")
	// ErrMetadataUnreachable: the metadata service named the instance's
	// role but its keys could not be read.
	ErrMetadataUnreachable = errors.New("instance role credentials unreadable")
	// ErrInvalidConfig: a variable FromEnv reads is wrong.
	ErrInvalidConfig = errors.New("invalid credentials configuration")
)

// STSError is STS's refusal of AssumeRole, as it answered it. Its message
// carries the Code, the RequestId and STS's Message (which names no key).
type STSError struct {
	Code, Message, RequestID string
}

func (e *STSError) Error() string {
	return "STS answered " + e.Code + " (RequestId " + e.RequestID + "): " + e.Message
}
