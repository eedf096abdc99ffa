package cvm

import "fmt"

// PanicError is a panic recovered in a goroutine of a call's helpers (a
// batch of cvm/batch, a chunk of cvm/listing), where no recover of the
// caller's reaches: Value is what was panicked, Stack the stack of the
// goroutine that panicked. Both are for the function's log only, masked:
// they may hold anything.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }
