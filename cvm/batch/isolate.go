package batch

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"scf-cvm-project/cvm"
)

// The codes with which cvm.ModifyInstancesProject refuses a whole batch
// because of some of its instances: unknown, malformed, or bound to a load
// balancer (the API's error codes, cvm.ModifyInstancesProject page).
const (
	CodeInstanceNotFound     = "InvalidInstanceId.NotFound"
	CodeInstanceIDMalformed  = "InvalidInstanceId.Malformed"
	CodeInstanceNotSupported = "InvalidInstance.NotSupported"
)

// Isolatable reports whether the API refused a batch with code because of
// some of its instances, so that the others can move without them.
func Isolatable(code string) bool {
	for _, c := range []string{CodeInstanceNotFound, CodeInstanceIDMalformed, CodeInstanceNotSupported} {
		if code == c || strings.HasPrefix(code, c+".") {
			return true
		}
	}
	return false
}

var instanceIDInMessage = regexp.MustCompile(`ins-[a-z0-9]{8}`)

// namedIn returns the ids of group that message names, in group's order:
// the API's refusals name the offending instances ("The instance ID
// ["ins-1a2b3c4d"] does not exist.").
func namedIn(message string, group []string) []string {
	found := instanceIDInMessage.FindAllString(message, -1)
	if len(found) == 0 {
		return nil
	}
	var named []string
	for _, id := range group {
		if slices.Contains(found, id) {
			named = append(named, id)
		}
	}
	return named
}

// isolation finds the offending instances of a batch the API refused as a
// whole, and moves the others. It is pure: call is the only way out, and
// it makes one call (a Outcome) per group of ids.
//
// A group known to fail loses the ids its refusal names, and the rest is
// called again; when the refusal names none, the group is split in halves:
// the first half is called, and when it moves, the second is known to fail
// (all or nothing) without a call. A lone id known to fail has failed. Any
// other outcome (a code that is not isolatable, the deadline) stops the
// isolation: the ids not yet settled fail with it.
type isolation struct {
	call func(ids []string) Outcome

	calls   int                // calls made
	moved   map[string]bool    // ids that moved
	movedBy map[string]string  // id → the RequestId of the call that moved it
	failed  map[string]Outcome // ids that failed, with the outcome that says why
	stopped *Outcome           // the outcome that stopped the isolation, if any
}

func newIsolation(call func([]string) Outcome) *isolation {
	return &isolation{call: call, moved: map[string]bool{}, movedBy: map[string]string{}, failed: map[string]Outcome{}}
}

// run isolates the offending ids of batch, which failed as a whole with
// refusal (an isolatable code).
func (iso *isolation) run(batch []string, refusal Outcome) {
	iso.settle(batch, refusal)
	if iso.stopped == nil {
		return
	}
	for _, id := range batch {
		if !iso.moved[id] {
			if _, ok := iso.failed[id]; !ok {
				iso.fail([]string{id}, *iso.stopped)
			}
		}
	}
}

// settle resolves group, known to fail with refusal.
func (iso *isolation) settle(group []string, refusal Outcome) {
	if iso.stopped != nil {
		return
	}
	if len(group) == 1 {
		iso.fail(group, refusal)
		return
	}
	if named := namedIn(refusal.message(), group); len(named) > 0 {
		iso.fail(named, refusal)
		iso.try(slices.DeleteFunc(slices.Clone(group), func(id string) bool { return slices.Contains(named, id) }))
		return
	}
	half := len(group) / 2
	if iso.try(group[:half]) {
		iso.settle(group[half:], refusal) // the refusal was the second half's
		return
	}
	iso.try(group[half:])
}

// try calls group and settles it by the outcome; it reports whether the
// whole group moved.
func (iso *isolation) try(group []string) bool {
	if len(group) == 0 {
		return true
	}
	if iso.stopped != nil {
		return false
	}
	b := iso.call(group)
	iso.calls++
	switch {
	case b.Moved():
		for _, id := range group {
			iso.moved[id] = true
			iso.movedBy[id] = b.RequestID
		}
		return true
	case Isolatable(cvm.Code(b.Err)):
		iso.settle(group, b)
	default:
		iso.stopped = &b
	}
	return false
}

func (iso *isolation) fail(ids []string, why Outcome) {
	for _, id := range ids {
		iso.failed[id] = why
	}
}

// result is what the isolation of batch found, in batch's order.
func (iso *isolation) result(batch []string) *Isolation {
	r := &Isolation{Calls: iso.calls, Stopped: iso.stopped, MovedBy: map[string]string{}}
	for _, id := range batch {
		if iso.moved[id] {
			r.Moved = append(r.Moved, id)
			r.MovedBy[id] = iso.movedBy[id]
		} else if why, ok := iso.failed[id]; ok {
			r.Failed = append(r.Failed, InstanceFailure{InstanceId: id, Outcome: why})
		}
	}
	return r
}

// message is the API's message of a refused call ("" otherwise).
func (b Outcome) message() string {
	var apiErr *cvm.APIError
	if errors.As(b.Err, &apiErr) {
		return apiErr.Message
	}
	return ""
}
