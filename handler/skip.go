package handler

// skipInvalid says whether to isolate offending instances for req: the
// request's SkipInvalid when it gives one, else the function's default
// (SKIP_INVALID).
func (h *Handler) skipInvalid(req Request) bool {
	if req.SkipInvalid != nil {
		return *req.SkipInvalid
	}
	return h.SkipInvalid
}
