// Package trigger decodes an invocation's payload, whatever trigger sent
// it, into an Event: API Gateway and the function URL (http.go), the
// timer (timer.go), EventBridge (cloudevent.go) and a direct invocation
// (event.go); and knows where each kind keeps its request (Event.Request)
// or, for EventBridge, which instances it names and in which region
// (Targets).
//
// Start with Decode. Adding a trigger is a file here and a sample in
// events/.
package trigger
