package cvm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"scf-cvm-project/credentials"
	"scf-cvm-project/signer"
)

// Prepared is the fixed parts of a call Prepare built (answer.DryRun shows
// them once, and each call's Signed).
type Prepared struct {
	Action          string `json:"Action"`
	Endpoint        string `json:"Endpoint"`
	SignatureMethod string `json:"SignatureMethod"`
	Version         string `json:"Version"`
	Region          string `json:"Region"`
}

// Signed is what a prepared call carries: its v1 form or its TC3 body. It
// holds no secret: the v1 parameters Signature, Token and SecretId, and
// TC3's Authorization and X-TC-Token headers, are left out.
type Signed struct {
	// Params is the v1 form, less Signature, Token and SecretId; nil for TC3.
	Params map[string]string `json:"Params,omitempty"`
	// Payload is TC3's JSON body; nil for v1.
	Payload json.RawMessage `json:"Payload,omitempty"`
}

// withheld are the v1 parameters a Signed never shows.
var withheld = map[string]bool{"Signature": true, "Token": true, "SecretId": true}

// Prepare builds and signs action in region with creds, as Call does (the
// same newRequest, so a dry run proves the keys and the configuration can
// sign), and returns what would be sent, without sending anything.
func (c *Client) Prepare(ctx context.Context, creds credentials.Credentials, region string, action Action) (Prepared, Signed, error) {
	if err := ctx.Err(); err != nil {
		return Prepared{}, Signed{}, fmt.Errorf("cvm: preparing %s: %w", action.ActionName(), err)
	}
	req, err := c.newRequest(ctx, creds, region, action, c.Clock().Unix())
	if err != nil {
		return Prepared{}, Signed{}, err
	}
	body, err := io.ReadAll(req.Body) // an in-memory reader
	if err != nil {
		return Prepared{}, Signed{}, fmt.Errorf("cvm: reading the prepared %s: %w", action.ActionName(), err)
	}
	p := Prepared{
		Action:          action.ActionName(),
		Endpoint:        c.Endpoint(),
		SignatureMethod: string(c.method),
		Version:         c.version,
		Region:          region,
	}
	if c.method == signer.TC3HmacSHA256 {
		return p, Signed{Payload: body}, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Prepared{}, Signed{}, fmt.Errorf("cvm: reading the prepared %s form: %w", action.ActionName(), err)
	}
	params := make(map[string]string, len(form))
	for k := range form {
		if !withheld[k] {
			params[k] = form.Get(k)
		}
	}
	return p, Signed{Params: params}, nil
}
