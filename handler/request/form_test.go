package request

import (
	"net/url"
	"testing"

	"scf-cvm-project/handler/answer"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
