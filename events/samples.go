// Package events holds the sample events of every trigger: the contract
// with SCF, read by the tests of each package that decodes them and by
// `make demo`. Only tests import it; the function's binary does not.
package events

import (
	"embed"
	"io/fs"
)

//go:embed *.json
var samples embed.FS

// Samples returns every sample event's bytes by file name
// ("function-url.json").
func Samples() map[string][]byte {
	names, _ := fs.Glob(samples, "*.json") // the pattern is valid
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		b, _ := samples.ReadFile(name) // embedded: cannot fail
		out[name] = b
	}
	return out
}
