// Package request reads what a caller asks for, from JSON (a body, a
// timer's Message, a direct invocation), a form or a query, leniently (one
// reader per value type: instance ids, a project id, a flag), and
// validates it into a Move.
//
// Start with FromJSON and FromValues, which give a Raw request, and
// Validate. Its flags (DryRun, SkipInvalid, Reconcile, Async) are read
// alike by ReadFlag and ParseFlag; Async tells a direct invocation to answer
// as an asynchronous one (unfinished work is a function error, for SCF to
// retry), as SCF does not tell the function how it was invoked. The JSON helpers (JSONType, DecodeObject, DecodeField,
// UnquoteString) serve the trigger package's event decoding too.
package request
