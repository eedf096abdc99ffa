// Package cvm is the client of the CVM API: it builds one signed request per
// call (v1 form POST on the legacy or API 3.0 endpoint, or TC3 JSON POST),
// sends it, and parses either answer shape into a Result.
//
// Start with New and Client.Call; ModifyInstancesProject and
// DescribeInstances are the actions this function makes, and ListInstances
// pages through DescribeInstances. An upstream error code is a Result, not
// a Go error: a Go error means no usable answer came back (ErrUnreachable,
// ErrBadResponse, or the context's error); ListInstances returns the code
// as an *APIError.
package cvm
