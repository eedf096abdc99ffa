package events

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSamplesAreEveryFileAndValidJSON(t *testing.T) {
	s := Samples()
	require.Contains(t, s, "direct.json")
	require.Contains(t, s, "function-url.json")
	for name, b := range s {
		assert.True(t, json.Valid(b), name)
	}
}
