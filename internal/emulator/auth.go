package emulator

import (
	"cmp"
	"crypto/hmac"
	"strconv"
	"time"

	"scf-cvm-project/signer"
)

// authenticate checks q's signature, timestamp and token against the keys,
// in the API's order: missing signature, timestamp, SecretId, signature,
// token.
func (e *Emulator) authenticate(q *request) *apiError {
	if q.signature == "" || q.secretID == "" {
		return missingSignature(q)
	}
	ts, err := checkTimestamp(q, e.clock())
	if err != nil {
		return err
	}
	key, ok := e.key(q.secretID)
	if !ok {
		return errorf(CodeSecretIDNotFound, "The SecretId is not found; check the SecretId the request is signed with.")
	}
	if q.tc3 {
		err = verifyTC3(q, ts, key.SecretKey)
	} else {
		err = verifyV1(q, key.SecretKey)
	}
	if err != nil {
		return err
	}
	if err := checkToken(q, key); err != nil {
		return err
	}
	return checkExpiry(key, e.clock())
}

func missingSignature(q *request) *apiError {
	switch {
	case q.tc3 && q.signature == "":
		return errorf(CodeSignatureFailure, "The Authorization header carries no Signature: missing signature.")
	case q.tc3:
		return errorf(CodeSignatureFailure, "The Authorization header carries no Credential SecretId: missing signature.")
	case q.signature == "" && q.endpoint == EndpointAPI3:
		return errorf(CodeSignatureFailure, "The request carries neither a `Signature` parameter nor a TC3-HMAC-SHA256 Authorization header: missing signature.")
	case q.signature == "":
		return errorf(CodeSignatureFailure, "The request is missing the parameter `Signature`: missing signature.")
	default:
		return errorf(CodeSignatureFailure, "The request is missing the parameter `SecretId`: missing signature.")
	}
}

// checkTimestamp returns the request's timestamp if it is an integer at
// most MaxClockSkew from now.
func checkTimestamp(q *request, now time.Time) (int64, *apiError) {
	name := "Timestamp"
	if q.tc3 {
		name = "X-TC-Timestamp"
	}
	if q.timestamp == "" {
		return 0, errorf(CodeSignatureExpire, "The request is missing `%s`.", name)
	}
	ts, err := strconv.ParseInt(q.timestamp, 10, 64)
	if err != nil {
		return 0, errorf(CodeSignatureExpire, "`%s` %q is not an integer number of seconds since 1970.", name, q.timestamp)
	}
	server, skew := now.Unix(), int64(MaxClockSkew/time.Second)
	if ts > server+skew || ts < server-skew {
		return 0, errorf(CodeSignatureExpire, "Signature expired: `%s` %d is more than %d seconds from the server time %d.",
			name, ts, skew, server)
	}
	return ts, nil
}

// verifyV1 recomputes a v1 signature over every parameter but Signature.
func verifyV1(q *request, secretKey string) *apiError {
	method, err := signer.ParseMethod(q.sigMethod)
	if err != nil || method == signer.TC3HmacSHA256 {
		return errorf(CodeSignatureFailure, "The SignatureMethod %q is not supported; use HmacSHA1 or HmacSHA256.", q.sigMethod)
	}
	params := make(map[string]string, len(q.params))
	for k, v := range q.params {
		if k != "Signature" {
			params[k] = v
		}
	}
	want, err := signer.SignV1(signer.V1Request{
		HTTPMethod: q.httpMethod, Host: q.host, Path: q.path, Params: params,
		Legacy: q.endpoint == EndpointLegacy,
	}, method, secretKey)
	if err != nil { // ParseMethod above admits only v1 methods
		return errorf(CodeSignatureFailure, "The SignatureMethod %q is not supported; use HmacSHA1 or HmacSHA256.", q.sigMethod)
	}
	if !hmac.Equal([]byte(want), []byte(q.signature)) {
		return errorf(CodeSignatureFailure, "The %s signature does not match the request: check the secret key and the string to sign (%s, host %q, path %q, every parameter but Signature sorted by name).",
			method, q.httpMethod, q.host, q.path)
	}
	return nil
}

// verifyTC3 checks the credential scope and recomputes a TC3 signature
// over content-type and host.
func verifyTC3(q *request, ts int64, secretKey string) *apiError {
	a := q.auth
	signed := signer.TC3Sign(signer.TC3Request{
		HTTPMethod: q.httpMethod, Path: q.path, Query: q.query, Host: q.host,
		ContentType: q.contentType, Payload: q.body, Service: a.service, Timestamp: ts,
	}, "", secretKey)
	switch {
	case !a.scopeOK:
		return errorf(CodeSignatureFailure, "The Credential must read SecretId/date/service/tc3_request.")
	case a.service != cmp.Or(q.service, Service):
		return errorf(CodeSignatureFailure, "The credential scope names service %q; this endpoint is %q.", a.service, cmp.Or(q.service, Service))
	case a.date != signed.Date:
		return errorf(CodeSignatureFailure, "The credential scope date %q is not %q, the UTC date of X-TC-Timestamp %d.", a.date, signed.Date, ts)
	case a.signedHeaders != signer.TC3SignedHeaders:
		return errorf(CodeSignatureFailure, "The SignedHeaders %q are not supported; sign %q.", a.signedHeaders, signer.TC3SignedHeaders)
	}
	if !hmac.Equal([]byte(signed.Signature), []byte(q.signature)) {
		return errorf(CodeSignatureFailure, "The TC3-HMAC-SHA256 signature does not match the request: check the secret key and the canonical request (%s, path %q, content-type %q, host %q, body SHA-256).",
			q.httpMethod, q.path, q.contentType, q.host)
	}
	return nil
}

// checkToken requires exactly the key's token, or none for a key without.
func checkToken(q *request, key Key) *apiError {
	name := "Token"
	if q.tc3 {
		name = "X-TC-Token"
	}
	switch {
	case key.Token == "" && q.token != "":
		return errorf(CodeTokenFailure, "The request carries `%s` but its SecretId is a permanent key; send no token.", name)
	case key.Token != "" && q.token == "":
		return errorf(CodeTokenFailure, "The request is missing `%s`: its SecretId is a temporary credential.", name)
	case !hmac.Equal([]byte(q.token), []byte(key.Token)):
		return errorf(CodeTokenFailure, "The `%s` does not match the temporary credential of the SecretId.", name)
	}
	return nil
}
