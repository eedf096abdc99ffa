package handler

import (
	"context"
	"log/slog"
)

// invocationLog adds the invocation's function_request_id (from SCF's
// function context) to every record logged with a context, so that the
// packages below handler (cvm, credentials) log one line per upstream call
// tied to its invocation without knowing of the SCF runtime.
type invocationLog struct{ slog.Handler }

// Handle adds function_request_id when ctx carries one.
func (h invocationLog) Handle(ctx context.Context, r slog.Record) error {
	if id := invocationID(ctx); id != "" {
		r.AddAttrs(slog.String("function_request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapping.
func (h invocationLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return invocationLog{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapping.
func (h invocationLog) WithGroup(name string) slog.Handler {
	return invocationLog{h.Handler.WithGroup(name)}
}
