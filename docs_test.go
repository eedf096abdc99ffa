package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
)

// anchor is GitHub's id for a heading: lower case, punctuation dropped,
// spaces to hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func anchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]bool{}
	for _, m := range mdHeading.FindAllStringSubmatch(string(b), -1) {
		out[anchor(strings.Trim(m[1], "`"))] = true
		out[anchor(strings.ReplaceAll(m[1], "`", ""))] = true
	}
	return out
}

// The README is a front page with a table of contents, and every link
// between the README and docs/ lands on a file and a heading that exist.
func TestTheDocumentsLinksLand(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.LessOrEqual(t, strings.Count(string(readme), "\n"), 250, "the README is a front page")
	assert.Contains(t, string(readme), "## Contents")
	for _, page := range []string{"configuration", "requests-and-answers", "tag-rules", "retries-and-limits", "security", "deploying", "measurements"} {
		assert.Contains(t, string(readme), "](docs/"+page+".md)", "the README links docs/%s.md", page)
	}

	docs, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	for _, path := range append([]string{"README.md"}, docs...) {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			link := m[1]
			if strings.Contains(link, "://") {
				continue
			}
			file, frag, _ := strings.Cut(link, "#")
			target := path
			if file != "" {
				target = filepath.Join(filepath.Dir(path), file)
			}
			if _, err := os.Stat(target); !assert.NoError(t, err, "%s links %s", path, link) {
				continue
			}
			if frag != "" && strings.HasSuffix(target, ".md") {
				assert.True(t, anchors(t, target)[frag], "%s links %s: no such heading in %s", path, link, target)
			}
		}
	}
}

// Each figure in docs/measurements.md says the command that gives it and
// the day it was measured.
func TestEveryMeasurementHasItsCommandAndDate(t *testing.T) {
	b, err := os.ReadFile("docs/measurements.md")
	require.NoError(t, err)
	rows := 0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| what") || strings.HasPrefix(line, "| ---") {
			continue
		}
		rows++
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		require.GreaterOrEqual(t, len(cells), 4, line)
		assert.Regexp(t, `^(\d{4}-\d{2}-\d{2}|—)$`, cells[len(cells)-2], "the date: %s", line)
		assert.Contains(t, cells[len(cells)-1], "`", "the command: %s", line)
	}
	assert.Greater(t, rows, 10)
}
