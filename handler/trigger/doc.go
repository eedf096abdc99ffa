// Package trigger decodes an invocation's payload into an Event, one file
// per trigger (http.go, timer.go, cloudevent.go, event.go), and knows where
// each keeps its request (Event.Request) or, for EventBridge, which
// instances it names and in which region each lives (instances.go). Start
// with Decode; a new trigger is a file here and a sample in events/.
package trigger
