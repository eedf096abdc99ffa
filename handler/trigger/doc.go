// Package trigger decodes an invocation's payload, whatever trigger sent
// it, into an Event: API Gateway and the function URL (http.go), the
// timer (timer.go), EventBridge (cloudevent.go) and a direct invocation
// (event.go); and knows where each kind keeps its request (Event.Request)
// or, for EventBridge, which instances it names and in which region each
// lives: its own resource name's, else what the event's data says, else the
// event's region (instances.go, Targets).
//
// Start with Decode. Adding a trigger is a file here and a sample in
// events/.
package trigger
