// Package request reads what a caller asks for, from JSON (a body, a
// timer's Message, a direct invocation), a form or a query, leniently, and
// validates it into a Move.
//
// Start with FromJSON (json.go) and FromValues (form.go), which give a Raw
// request, and Validate. JSON is read by encoding/json, keys in any case,
// into lenient value types (IDs, ProjectID, Flag), each with its own
// UnmarshalJSON. A key that is not one of Keys in ASCII case is refused
// with a "did you mean" (keys.go). Async tells a direct invocation to
// answer as an asynchronous one, as SCF does not tell the function how it
// was invoked.
package request
