// Package request reads what a caller asks for, leniently, from JSON (a
// body, a timer's Message, a direct invocation: FromJSON) or a form or
// query (FromValues), into a Raw that Validate turns into a Move. Keys match
// Keys in any ASCII case; an unknown one is refused with a "did you mean".
// The shapes are in docs/requests-and-answers.md#requests.
package request
