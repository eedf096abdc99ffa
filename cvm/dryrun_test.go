package cvm

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/signer"
)

// Prepare signs exactly what Call sends, sends nothing, and shows it less
// its secrets.
func TestPrepareShowsWhatCallSendsLessItsSecrets(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		method   signer.Method
	}{
		{"legacy HmacSHA256", LegacyEndpoint, signer.HmacSHA256},
		{"legacy HmacSHA1", LegacyEndpoint, signer.HmacSHA1},
		{"API 3.0 HmacSHA256", API3Endpoint, signer.HmacSHA256},
		{"API 3.0 TC3", API3Endpoint, signer.TC3HmacSHA256},
	}
	action := ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy", "ins-5d8a23rs"}, ProjectId: 1045}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// What Call sends, with the same clock and nonce.
			var sent *http.Request
			var sentBody []byte
			c := newTestClient(t, tt.endpoint, tt.method, doerFunc(func(r *http.Request) (*http.Response, error) {
				sent = r
				sentBody, _ = io.ReadAll(r.Body)
				return answerWith(200, "application/json", `{"Response":{"RequestId":"r"}}`)(r)
			}))
			creds := exampleCreds
			creds.Token = "session-token-EXAMPLE"
			_, err := c.Call(context.Background(), creds, "ap-guangzhou", action, nil)
			require.NoError(t, err)
			require.NotNil(t, sent)
			secrets := []string{sent.Header.Get("Authorization")} // TC3's; "" for v1

			sent = nil
			p, signed, err := c.Prepare(context.Background(), credentials.Credentials(creds), "ap-guangzhou", action)
			require.NoError(t, err)
			assert.Nil(t, sent, "nothing is sent")

			assert.Equal(t, "ModifyInstancesProject", p.Action)
			assert.Equal(t, tt.endpoint, p.Endpoint)
			assert.Equal(t, string(tt.method), p.SignatureMethod)
			assert.Equal(t, Version, p.Version)
			assert.Equal(t, "ap-guangzhou", p.Region)

			if tt.method == signer.TC3HmacSHA256 {
				assert.Nil(t, signed.Params)
				assert.JSONEq(t, string(sentBody), string(signed.Payload), "the payload Call sends")
			} else {
				assert.Nil(t, signed.Payload)
				form, err := url.ParseQuery(string(sentBody))
				require.NoError(t, err)
				want := map[string]string{}
				for k := range form {
					want[k] = form.Get(k)
				}
				secrets[0] = want["Signature"]
				delete(want, "Signature")
				delete(want, "Token")
				delete(want, "SecretId")
				assert.Equal(t, want, signed.Params, "the form Call sends, less Signature, Token and SecretId")
			}
			b, err := json.Marshal(struct {
				Prepared
				Signed
			}{p, signed})
			require.NoError(t, err)
			for _, s := range append(secrets, creds.SecretKey, creds.Token, creds.SecretID) {
				require.NotEmpty(t, s)
				assert.NotContains(t, string(b), s)
			}
		})
	}
}

func TestPrepareHonoursACancelledContext(t *testing.T) {
	c := newTestClient(t, LegacyEndpoint, signer.HmacSHA256, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.Prepare(ctx, credentials.Credentials(exampleCreds), "ap-guangzhou", ModifyInstancesProject{InstanceIds: []string{"ins-r8hr2upy"}, ProjectId: 1})
	assert.ErrorIs(t, err, context.Canceled)
}

// A client of another service shows its own version, which it signs.
func TestPrepareShowsTheClientsVersion(t *testing.T) {
	c, err := NewService("tag", TagVersion, TagEndpoint, signer.TC3HmacSHA256, nil)
	require.NoError(t, err)
	p, _, err := c.Prepare(context.Background(), credentials.Credentials(exampleCreds), "ap-guangzhou", DetachResourcesTag{ServiceType: "cvm", ResourceIds: []string{"ins-r8hr2upy"}, TagKey: "k", ResourceRegion: "ap-guangzhou", ResourcePrefix: "instance"})
	require.NoError(t, err)
	assert.Equal(t, TagVersion, p.Version)
}
