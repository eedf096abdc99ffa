package request

import (
	"net/url"
	"testing"

	"scf-cvm-project/handler/answer"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every flag of a request is read by the same lenient reader: a JSON
// boolean, or a string that says true or false (as strconv.ParseBool reads
// it); anything else is refused, naming the flag.
func TestEveryFlagIsReadAlike(t *testing.T) {
	flags := map[string]func(Raw) *bool{
		"DryRun":      func(r Raw) *bool { return r.DryRun },
		"SkipInvalid": func(r Raw) *bool { return r.SkipInvalid },
		"Reconcile":   func(r Raw) *bool { b := r.Reconcile; return &b },
		"Async":       func(r Raw) *bool { b := r.Async; return &b },
	}
	for name, get := range flags {
		for _, c := range []struct {
			value string
			want  bool
		}{
			{`true`, true}, {`false`, false}, {`"true"`, true}, {`"false"`, false},
			{`"TRUE"`, true}, {`"1"`, true}, {`"0"`, false}, {`" true "`, true},
		} {
			t.Run(name+"="+c.value, func(t *testing.T) {
				raw, err := FromJSON("the body", []byte(`{"`+name+`":`+c.value+`}`))
				require.Nil(t, err)
				require.NotNil(t, get(raw))
				assert.Equal(t, c.want, *get(raw))
			})
		}
		for _, bad := range []string{`"yes"`, `1`, `[]`, `{}`, `""`} {
			t.Run(name+"="+bad, func(t *testing.T) {
				_, err := FromJSON("the body", []byte(`{"`+name+`":`+bad+`}`))
				require.NotNil(t, err)
				assert.Equal(t, answer.CodeInvalidParameterValue, err.Code)
				assert.Contains(t, err.Message, name+" must be true or false")
			})
		}
	}
}

// Async, the flag that makes a direct invocation answer as an asynchronous
// one, is read from JSON, forms and queries alike; absent, it is false.
func TestAsyncIsReadFromEverySource(t *testing.T) {
	tests := []struct {
		name string
		read func() (Raw, *answer.Error)
		want bool
	}{
		{"JSON true", func() (Raw, *answer.Error) { return FromJSON("the event", []byte(`{"Async":true}`)) }, true},
		{"JSON string, any case of the key", func() (Raw, *answer.Error) { return FromJSON("the event", []byte(`{"async":"true"}`)) }, true},
		{"JSON absent", func() (Raw, *answer.Error) { return FromJSON("the event", []byte(`{}`)) }, false},
		{"query", func() (Raw, *answer.Error) { return FromValues("the query", url.Values{"Async": {"true"}}) }, true},
		{"bare query key", func() (Raw, *answer.Error) { return FromValues("the query", url.Values{"Async": {""}}) }, true},
		{"query false", func() (Raw, *answer.Error) { return FromValues("the query", url.Values{"Async": {"0"}}) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := tt.read()
			require.Nil(t, err)
			assert.Equal(t, tt.want, raw.Async)
		})
	}
}
