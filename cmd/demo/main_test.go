package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every sample in events/ says what it is for, and no purpose is left for
// a sample that is gone.
func TestEverySampleHasAPurpose(t *testing.T) {
	samples, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, samples)
	names := map[string]bool{}
	for _, path := range samples {
		name := filepath.Base(path)
		names[name] = true
		assert.NotEmpty(t, samplePurposes[name], "%s: add what it is for to samplePurposes", name)
	}
	for name := range samplePurposes {
		assert.True(t, names[name], "samplePurposes names %s, which is not in events/", name)
	}
}
