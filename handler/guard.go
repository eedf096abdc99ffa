package handler

import (
	"context"
	"log/slog"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/trigger"
)

// guardHTTP runs guard.Security.CheckHTTP on an API Gateway or function URL
// event; other events pass (SCF authorised their caller). A refusal's
// reason, which may say how to configure the function, goes to the log;
// the caller gets only the refusal. An anonymous caller let in by
// ALLOW_ANONYMOUS_HTTP is logged with what API Gateway said of it.
func (h *Handler) guardHTTP(ctx context.Context, ev trigger.Event) *answer.Error {
	if ev.Kind != trigger.KindAPIGateway && ev.Kind != trigger.KindFunctionURL {
		return nil
	}
	var method string
	var headers map[string]string
	if ev.HTTP != nil {
		method, headers = ev.HTTP.Method, ev.HTTP.Headers
	}
	r := h.Security.CheckHTTP(method, headers)
	attrs := []slog.Attr{
		slog.String("function_request_id", invocationID(ctx)),
		slog.String("event", ev.Kind.String()),
	}
	if ev.HTTP != nil {
		attrs = append(attrs,
			slog.String("method", ev.HTTP.Method),
			slog.String("source_ip", ev.HTTP.SourceIP),
			slog.String("gateway_request_id", ev.HTTP.RequestID),
		)
	}
	if r != nil {
		attrs = append(attrs, slog.String("code", r.Err.Code), slog.String("reason", r.Reason))
		h.logger().LogAttrs(ctx, slog.LevelWarn, "HTTP request refused", attrs...)
		return r.Err
	}
	if h.Security.TokenSHA256 == nil && ev.HTTP != nil {
		attrs = append(attrs,
			slog.String("service_id", ev.HTTP.ServiceID),
			slog.String("stage", ev.HTTP.Stage),
			slog.String("identity_secret_id", ev.HTTP.IdentitySecretID),
			slog.String("anonymous_consumer", ev.HTTP.Headers["x-anonymous-consumer"]),
		)
		h.logger().LogAttrs(ctx, slog.LevelInfo, "anonymous HTTP request ("+guard.EnvAllowAnonymousHTTP+")", attrs...)
	}
	return nil
}
