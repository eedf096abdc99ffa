package request

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// UnquoteString must agree with encoding/json wherever it answers.
func TestUnquoteJSONStringAgreesWithEncodingJSON(t *testing.T) {
	tests := []struct {
		raw    string
		wantOK bool
	}{
		{`"{\"InstanceIds\":[\"ins-00000001\"],\"ProjectId\":1045}"`, true},
		{`""`, true},
		{` "a\\b\/c\n\r\t\b\f" `, true},
		{`"\u0041"`, false},
		{`"é"`, false},
		{`"a`, false},
		{`a"`, false},
		{`"a\"`, false},
		{`"a"b"`, false},
		{`"\x"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, ok := UnquoteString([]byte(tt.raw))
			require.Equal(t, tt.wantOK, ok)
			if ok {
				var want string
				require.NoError(t, json.Unmarshal([]byte(tt.raw), &want))
				assert.Equal(t, want, string(got))
			}
		})
	}
}

// FuzzUnquoteJSONString: UnquoteString agrees with encoding/json wherever it
// answers. The committed corpus is in testdata/fuzz/FuzzUnquoteJSONString.
func FuzzUnquoteJSONString(f *testing.F) {
	for _, s := range []string{`"{\"a\":1}"`, `""`, `"a\\b\/c\n"`, `"\u0041"`, `"a\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := UnquoteString(raw)
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("UnquoteString accepted %q, which is not a JSON string: %v", raw, err)
		}
		if string(got) != want {
			t.Fatalf("UnquoteString(%q) = %q; encoding/json reads %q", raw, got, want)
		}
	})
}
