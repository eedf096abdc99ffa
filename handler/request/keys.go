package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"scf-cvm-project/handler/answer"
)

// Keys are the keys a request may have, as the API spells them; they match
// in any (ASCII) case. A form or query may also give InstanceIds.N.
var Keys = []string{"InstanceIds", "ProjectId", "Region", "DryRun", "SkipInvalid", "Rules", "Reconcile", "Async", "Regions", "Project"}

// CheckKeys refuses the first of keys that is not one of known, with
// CodeUnknownParameter naming it and the nearest known key (by edit
// distance, in any case). where names the object in the message ("the
// body", "Rules[0]"). A key matches a known one only in ASCII case: a key
// that encoding/json might match by Unicode folding is refused.
func CheckKeys(where string, keys, known []string) *answer.Error {
	for _, k := range keys {
		if !isKnown(k, known) {
			return UnknownKey(where, k, known)
		}
	}
	return nil
}

// CheckObjectKeys refuses a key of data, a JSON object that encoding/json
// accepted, that is not one of known (see CheckKeys).
func CheckObjectKeys(where string, data []byte, known []string) *answer.Error {
	keys, err := ObjectKeys(data)
	if err != nil {
		return answer.Errorf(answer.CodeInvalidParameter, "%s cannot be read: %v", where, err)
	}
	return CheckKeys(where, keys, known)
}

// UnknownKey is the refusal of the unknown key k of where.
func UnknownKey(where, k string, known []string) *answer.Error {
	return answer.Errorf(answer.CodeUnknownParameter, "%s has the unknown parameter %s; did you mean %s? (known: %s)",
		where, answer.Quote(k), answer.Quote(Nearest(k, known)), strings.Join(known, ", "))
}

func isKnown(k string, known []string) bool {
	for _, n := range known {
		if asciiEqualFold(k, n) {
			return true
		}
	}
	return false
}

// asciiEqualFold reports whether a and b are equal in ASCII case folding;
// any other byte must be equal.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Nearest returns the known key nearest to k: the least edit distance,
// ignoring ASCII case and the characters _, - and . between words; the
// first of known on a tie.
func Nearest(k string, known []string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch r {
			case '_', '-', ' ':
				return -1
			}
			if r < 0x80 {
				return rune(lower(byte(r)))
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

// ObjectKeys returns the top-level keys of data, a JSON object, in order.
func ObjectKeys(data []byte) ([]string, error) {
	var keys []string
	err := members(data, func(key string, dec *json.Decoder) error {
		keys = append(keys, key)
		return dec.Decode(new(json.RawMessage))
	})
	return keys, err
}

// members calls f with each key of data, a JSON object, in order, and the
// decoder that holds its value, which f must read.
func members(data []byte, f func(key string, dec *json.Decoder) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errNotObject
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("reading a key: %w", err)
		}
		key, _ := t.(string) // in an object, a key is a string
		if err := f(key, dec); err != nil {
			return fmt.Errorf("reading %q: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errNotObject // something after the object
	}
	return nil
}

var errNotObject = errors.New("not a JSON object")

// bom is the UTF-8 byte-order mark, which some tools (PowerShell 5.1) write
// at the start of a file.
const bom = "\ufeff"

// TrimBOM returns b without a leading UTF-8 byte-order mark.
func TrimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte(bom)) }

// TrimBOMString returns s without a leading UTF-8 byte-order mark.
func TrimBOMString(s string) string { return strings.TrimPrefix(s, bom) }
