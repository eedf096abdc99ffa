package cvm

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"scf-cvm-project/internal/retry"
)

// APIError is the API's refusal of a call (Response.Error, or the legacy
// endpoint's codeDesc): the one shape every caller of Call asks, with
// errors.As, as smithy's APIError is asked. Its message names no host.
type APIError struct {
	Action     string
	Code       string
	Message    string
	RequestID  string
	StatusCode int // the HTTP status it came with
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s answered %s: %s (RequestId %s)", e.Action, e.Code, e.Message, e.RequestID)
}

// Code returns the API's error code of err ("" when err is not an APIError).
func Code(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return ""
}

// Unauthorized reports whether err is the API's refusal of an action the
// keys have no permission for (AuthFailure.UnauthorizedOperation, or
// UnauthorizedOperation and its sub-codes).
func Unauthorized(err error) bool {
	c := Code(err)
	return c == "AuthFailure.UnauthorizedOperation" || retry.InFamily(c, "UnauthorizedOperation")
}

// Errors for calls that got no API answer, or were not sent. Check them
// with errors.Is; their messages name no host (the log line does).
var (
	ErrUnreachable = errors.New("cvm endpoint unreachable")
	ErrBadResponse = errors.New("cvm endpoint gave no API answer")
	// ErrNotSent wraps the reason a call was never sent: no unexpired keys,
	// or a context that ended before it went (Call's own "no time left" is
	// ErrNoTimeLeft).
	ErrNotSent = errors.New("not sent")
	// ErrKeysExpired: a provider gave keys that have expired already.
	ErrKeysExpired = errors.New("the credential provider gave expired keys")
	// ErrNoTimeLeft comes with context.DeadlineExceeded when the deadline
	// leaves no time for an attempt; Result.Attempts says how many were made.
	ErrNoTimeLeft = retry.ErrNoTimeLeft
)

// StatusError is an HTTP status other than 2xx without an API answer. It
// wraps ErrBadResponse.
type StatusError struct {
	StatusCode int
	Body       string // described ("text/html, 52 bytes"), never echoed
}

func (e *StatusError) Error() string {
	return ErrBadResponse.Error() + ": HTTP " + strconv.Itoa(e.StatusCode) + " (" + e.Body + ")"
}

// Unwrap makes errors.Is(err, ErrBadResponse) hold.
func (e *StatusError) Unwrap() error { return ErrBadResponse }

// Check is the retry judgement of a call's error (retry.Policy.Check):
// Throttled for RequestLimitExceeded* and HTTP 429; Again for network
// failures (retry.Network), HTTP 5xx, answers that are not the API's JSON
// and the codes retry.Code accepts; Stop for anything else. The table is
// in docs/retries-and-limits.md.
func Check(err error) retry.Verdict {
	var apiErr *APIError
	var se *StatusError
	switch {
	case err == nil:
		return retry.Stop
	case errors.As(err, &apiErr):
		if retry.Throttle(apiErr.Code) {
			return retry.Throttled
		}
		return verdict(retry.Code(apiErr.Code))
	case errors.As(err, &se):
		if se.StatusCode == 429 {
			return retry.Throttled
		}
		return verdict(retry.Status(se.StatusCode))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return retry.Stop // the caller's context, not the network
	case errors.Is(err, ErrBadResponse):
		return retry.Again // truncated, or not the API's JSON
	case errors.Is(err, ErrUnreachable):
		return verdict(retry.Network(err))
	}
	return retry.Stop // building or signing the request failed: it would fail again
}

// Throttled reports whether err is a throttle (RequestLimitExceeded*, 429).
func Throttled(err error) bool { return Check(err) == retry.Throttled }

func verdict(again bool) retry.Verdict {
	if again {
		return retry.Again
	}
	return retry.Stop
}

// PanicError is a panic recovered in a helper's goroutine, where no recover
// of the caller's reaches; Value and Stack are for the (masked) log only.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }
