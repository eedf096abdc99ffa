// Package e2e holds the end-to-end tests: the built binary, started and
// invoked through scf-go-lib's runtime protocol, against the CVM emulator on
// 127.0.0.1. Each test reads as a user's story.
//
// Each test has its own emulator and function process, so a test calls
// t.Parallel() first (make test runs 16 at a time), unless it asserts how
// long something took or a rate: those stay serial, and run first, alone.
package e2e
