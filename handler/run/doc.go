// Package run is the pipeline's run step: a Runner (built once per set of
// settings) carries out one invocation's Plan, each batch of at most 100
// going read → decide → move → confirm → restore on its own goroutine while
// later ones are read and moved (pipeline.go); KEEP_SECURITY_GROUPS keeps
// the groups on the instance itself (record.go). Start with Runner.Run.
package run
