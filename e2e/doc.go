// Package e2e holds the end-to-end tests: the built binary, started and
// invoked through scf-go-lib's runtime protocol, against the CVM emulator on
// 127.0.0.1. Each test reads as a user's story.
package e2e
