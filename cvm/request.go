package cvm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"scf-cvm-project/credentials"
	"scf-cvm-project/signer"
)

const (
	formContentType = "application/x-www-form-urlencoded"
	jsonContentType = "application/json; charset=utf-8"
)

// newRequest builds the signed HTTP request for one attempt: a fresh
// timestamp and nonce each time, so a retry is never a replay.
func (c *Client) newRequest(ctx context.Context, creds credentials.Credentials, region string, action Action) (*http.Request, error) {
	return c.newRequestAt(ctx, creds, region, action, c.Now().Unix())
}

// newRequestAt is newRequest with the timestamp ts (Unix seconds) to sign.
func (c *Client) newRequestAt(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64) (*http.Request, error) {
	if c.method == signer.TC3HmacSHA256 {
		return c.newTC3Request(ctx, creds, region, action, ts)
	}
	return c.newV1Request(ctx, creds, region, action, ts)
}

func (c *Client) newV1Request(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64) (*http.Request, error) {
	params := make(map[string]string, 10+2*action.Size())
	params["Action"] = action.ActionName()
	params["Version"] = c.version
	params["Region"] = region
	params["Timestamp"] = strconv.FormatInt(ts, 10)
	params["Nonce"] = strconv.FormatUint(uint64(c.Nonce()), 10)
	params["SecretId"] = creds.SecretID
	params["SignatureMethod"] = string(c.method)
	if creds.Token != "" {
		params["Token"] = creds.Token
	}
	// The legacy spec numbers lists from 1; API 3.0's SDKs from 0.
	base := 0
	if c.legacy {
		base = 1
	}
	action.PutV1Params(base, func(k, v string) { params[k] = v })

	sig, err := signer.SignV1(signer.V1Request{
		HTTPMethod: http.MethodPost,
		Host:       c.endpoint.Host,
		Path:       c.endpoint.Path,
		Params:     params,
		Legacy:     c.legacy,
	}, c.method, creds.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("cvm: signing %s: %w", action.ActionName(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint.String(), strings.NewReader(formBody(params, sig)))
	if err != nil {
		return nil, fmt.Errorf("cvm: building %s: %w", action.ActionName(), err)
	}
	req.Header.Set("Content-Type", formContentType)
	return req, nil
}

func (c *Client) newTC3Request(ctx context.Context, creds credentials.Credentials, region string, action Action, ts int64) (*http.Request, error) {
	payload, err := json.Marshal(action)
	if err != nil {
		return nil, fmt.Errorf("cvm: encoding %s: %w", action.ActionName(), err)
	}
	sr := signer.TC3Request{
		HTTPMethod:  http.MethodPost,
		Path:        c.endpoint.Path,
		Host:        c.endpoint.Host,
		ContentType: jsonContentType,
		Payload:     payload,
		Service:     c.service,
		Timestamp:   ts,
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("cvm: building %s: %w", action.ActionName(), err)
	}
	call := signer.TC3Call{Action: action.ActionName(), Version: c.version, Region: region}
	req.Header = signer.TC3Headers(sr, call, creds.SecretID, creds.SecretKey, creds.Token)
	return req, nil
}

// formBody URL-encodes params and the signature. The order of a form's
// fields does not matter to the API, so unlike url.Values.Encode it does
// not sort them again: the signer already did, for the string to sign.
func formBody(params map[string]string, signature string) string {
	size := len("Signature=") + 2*len(signature)
	for k, v := range params {
		size += len(k) + len(v) + 2
	}
	var b strings.Builder
	b.Grow(size + size/8)
	for k, v := range params {
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
		b.WriteByte('&')
	}
	b.WriteString("Signature=")
	b.WriteString(url.QueryEscape(signature))
	return b.String()
}
