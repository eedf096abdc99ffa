package signer

import (
	"net/http"
	"strconv"
)

// TC3Call names what an API 3.0 request calls; the headers carry it.
type TC3Call struct {
	Action  string // e.g. "ModifyInstancesProject", "AssumeRole"
	Version string // the service's API version, e.g. "2017-03-12"
	Region  string // sent as X-TC-Region, even when empty
}

// TC3Headers returns every header of an API 3.0 request r signed with
// TC3-HMAC-SHA256: Content-Type, Authorization, X-TC-Action, X-TC-Version,
// X-TC-Timestamp, X-TC-Region and, for temporary keys (token not empty),
// X-TC-Token: the session token always travels with its key.
//
// Every service's client builds its requests with it (cvm, and the
// credentials package's STS call), so the headers are spelled once.
func TC3Headers(r TC3Request, c TC3Call, secretID, secretKey, token string) http.Header {
	h := make(http.Header, 7)
	h.Set("Content-Type", r.ContentType)
	h.Set("Authorization", TC3Authorization(r, secretID, secretKey))
	h.Set("X-TC-Action", c.Action)
	h.Set("X-TC-Version", c.Version)
	h.Set("X-TC-Timestamp", strconv.FormatInt(r.Timestamp, 10))
	h.Set("X-TC-Region", c.Region)
	if token != "" {
		h.Set("X-TC-Token", token)
	}
	return h
}
