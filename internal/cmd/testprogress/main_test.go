package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Each package's line comes when it finishes; a failed test's output is
// shown; the status says whether anything failed.
func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantFailed bool
		want       []string
		notWant    []string
	}{
		{
			name: "a package passes",
			in: `{"Action":"run","Package":"m/a","Test":"TestX"}
{"Action":"output","Package":"m/a","Test":"TestX","Output":"=== RUN TestX\n"}
{"Action":"pass","Package":"m/a","Test":"TestX","Elapsed":0.1}
{"Action":"pass","Package":"m/a","Test":"TestX/sub","Elapsed":0.1}
{"Action":"pass","Package":"m/a","Elapsed":1.5}
`,
			want:    []string{"ok  \tm/a\t1.500s\t(1 tests)\n", "\ntests: 1 passed, 0 failed\n"},
			notWant: []string{"=== RUN"},
		},
		{
			name: "a test fails",
			in: `{"Action":"output","Package":"m/b","Test":"TestY","Output":"    y_test.go:9: wrong\n"}
{"Action":"fail","Package":"m/b","Test":"TestY","Elapsed":0.1}
{"Action":"fail","Package":"m/b","Elapsed":0.2}
`,
			wantFailed: true,
			want:       []string{"y_test.go:9: wrong", "FAIL\tm/b\t0.200s\t(0 passed, 1 failed)", "tests: 0 passed, 1 failed"},
		},
		{
			name: "a package has no tests",
			in: `{"Action":"skip","Package":"m/c","Elapsed":0}
`,
			want: []string{"?   \tm/c\t[no test files]"},
		},
		{
			name: "a build fails",
			in: `{"ImportPath":"m/d [m/d.test]","Action":"build-output","Output":"d.go:3:1: syntax error\n"}
{"ImportPath":"m/d [m/d.test]","Action":"build-fail"}
{"Action":"fail","Package":"m/d","Elapsed":0,"FailedBuild":"m/d [m/d.test]"}
`,
			wantFailed: true,
			want:       []string{"d.go:3:1: syntax error", "FAIL\tm/d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			failed := run(strings.NewReader(tt.in), &out, time.Hour)
			assert.Equal(t, tt.wantFailed, failed)
			for _, s := range tt.want {
				assert.Contains(t, out.String(), s)
			}
			for _, s := range tt.notWant {
				assert.NotContains(t, out.String(), s)
			}
		})
	}
}
