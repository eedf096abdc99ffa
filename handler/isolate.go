package handler

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// isolatable reports whether the API refused a batch because of some of
// its instances (unknown, malformed, or bound to a load balancer), so that
// the others can move without them.
func isolatable(code string) bool {
	for _, c := range []string{codeInstanceNotFound, CodeInstanceIDMalformed, codeInstanceNotSupported} {
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
// it makes one call (a Batch outcome) per group of ids.
//
// A group known to fail loses the ids its refusal names, and the rest is
// called again; when the refusal names none, the group is split in halves:
// the first half is called, and when it moves, the second is known to fail
// (all or nothing) without a call. A lone id known to fail has failed. Any
// other outcome (a code that is not isolatable, the deadline) stops the
// isolation: the ids not yet settled fail with it.
type isolation struct {
	call func(ids []string) Batch

	calls   int                // calls made
	moved   map[string]bool    // ids that moved
	failed  map[string]Failure // ids that failed, with why
	stopped *Batch             // the outcome that stopped the isolation, if any
}

func newIsolation(call func([]string) Batch) *isolation {
	return &isolation{call: call, moved: map[string]bool{}, failed: map[string]Failure{}}
}

// run isolates the offending ids of batch, which failed as a whole with
// refusal (an isolatable code).
func (iso *isolation) run(batch []string, refusal Batch) {
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
func (iso *isolation) settle(group []string, refusal Batch) {
	if iso.stopped != nil {
		return
	}
	if len(group) == 1 {
		iso.fail(group, refusal)
		return
	}
	if named := namedIn(refusal.Message, group); len(named) > 0 {
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
	case b.Code == CodeSuccess:
		for _, id := range group {
			iso.moved[id] = true
		}
		return true
	case isolatable(b.Code):
		iso.settle(group, b)
	default:
		iso.stopped = &b
	}
	return false
}

func (iso *isolation) fail(ids []string, why Batch) {
	for _, id := range ids {
		iso.failed[id] = Failure{InstanceId: id, Code: why.Code, Message: why.Message}
	}
}

// failures lists the failed ids in batch's order.
func (iso *isolation) failures(batch []string) []Failure {
	out := make([]Failure, 0, len(iso.failed))
	for _, id := range batch {
		if f, ok := iso.failed[id]; ok {
			out = append(out, f)
		}
	}
	return out
}

// outcome is the batch's own outcome after isolation: PartialSuccess when
// some moved, the refusal's code when none did, the deadline when it
// stopped the isolation.
func (iso *isolation) outcome(b Batch) Batch {
	b.isolated = true
	moved, failed := len(iso.moved), len(iso.failed)
	switch {
	case iso.stopped != nil && iso.stopped.Code == CodeDeadlineExceeded:
		b.Code = CodeDeadlineExceeded
		b.Message = fmt.Sprintf("the invocation's deadline ran out while isolating the offending instances: %d moved, %d failed (see Failed)", moved, failed)
	case moved > 0:
		b.Code = CodePartialSuccess
		b.Message = fmt.Sprintf("moved %d of %d instances; %d failed (see Failed); isolating them took %d more calls", moved, moved+failed, failed, iso.calls)
	}
	return b
}
