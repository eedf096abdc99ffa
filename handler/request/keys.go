package request

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"scf-cvm-project/handler/answer"
)

// Keys are the keys a request may have, as the API spells them; they match
// in any (ASCII) case. A form or query may also give InstanceIds.N.
var Keys = []string{"InstanceIds", "ProjectId", "Region", "DryRun", "SkipInvalid", "Rules", "Reconcile", "Async", "Regions", "Project"}

// CheckObjectKeys returns the value of each key of known in the JSON object
// data (the last given; nil when absent). It refuses the first key not in
// known (CodeUnknownParameter, naming the nearest known key), else the first
// key given twice, in any case, with different values; where names data in
// the message ("the body", "Rules[0]").
func CheckObjectKeys(where string, data []byte, known []string) ([]json.RawMessage, *answer.Error) {
	var twin string
	dec := json.NewDecoder(bytes.NewReader(data))
	seen := make([]json.RawMessage, len(known)) // the value of each known key
	_, rerr := dec.Token()                      // the opening brace
	for rerr == nil && dec.More() {
		var t json.Token
		var v json.RawMessage
		if t, rerr = dec.Token(); rerr == nil {
			rerr = dec.Decode(&v)
		}
		if rerr != nil {
			break
		}
		key, _ := t.(string) // in an object, a key is a string
		i := knownIndex(key, known)
		if i < 0 {
			return nil, UnknownKey(where, key, known)
		}
		if prev := seen[i]; prev != nil && twin == "" {
			var a, b bytes.Buffer
			if json.Compact(&a, prev) != nil || json.Compact(&b, v) != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				twin = key
			}
		}
		seen[i] = v
	}
	if rerr == nil { // the closing brace, then nothing
		if _, rerr = dec.Token(); rerr == nil {
			if _, end := dec.Token(); end != io.EOF {
				rerr = cmp.Or(end, errors.New("more after the object"))
			}
		}
	}
	if rerr != nil {
		return nil, answer.Errorf(answer.CodeInvalidParameter, "%s cannot be read: %v", where, rerr)
	}
	if twin != "" {
		return nil, answer.Errorf(answer.CodeInvalidParameterValue, "%s is given 2 different values in %s; give it once", twin, where)
	}
	return seen, nil
}

// knownIndex is the index in known of k, matched in ASCII case; -1 when
// there is none: a key that encoding/json would match by Unicode folding
// (K, the Kelvin sign, for k) is not known.
func knownIndex(k string, known []string) int {
	return slices.IndexFunc(known, func(n string) bool { return len(n) == len(k) && strings.EqualFold(n, k) })
}

// UnknownKey is the refusal of the unknown key k of where.
func UnknownKey(where, k string, known []string) *answer.Error {
	return answer.Errorf(answer.CodeUnknownParameter, "%s has the unknown parameter %s; did you mean %s? (known: %s)",
		where, answer.Quote(k), answer.Quote(Nearest(k, known)), strings.Join(known, ", "))
}

// Nearest returns the known key nearest to k: the least edit distance,
// ignoring ASCII case and the characters _, - and space between words; the
// first of known on a tie.
func Nearest(k string, known []string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r == '_', r == '-', r == ' ':
				return -1
			case 'A' <= r && r <= 'Z':
				return r + 'a' - 'A'
			}
			return r
		}, s)
	}
	nk := []rune(norm(k))
	best, bestD := "", -1
	for _, n := range known {
		if d := distance(nk, []rune(norm(n))); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b []rune) int {
	if len(a) > 256 { // a key that long is near nothing; bound the work
		a = a[:256]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
