package answer

import "encoding/json"

// DryRun is what a dry run would have sent: the call's fixed parts once,
// then each batch's parameters (v1) or JSON payload (TC3). It holds no
// secret: no signature, Authorization, SecretId, key or token.
type DryRun struct {
	Action          string `json:"Action"`
	Endpoint        string `json:"Endpoint"`
	SignatureMethod string `json:"SignatureMethod"`
	Version         string `json:"Version"`
	Region          string `json:"Region"`
	// Credentials names where the signing keys came from, e.g. "env".
	Credentials string        `json:"Credentials"`
	Batches     []DryRunBatch `json:"Batches"`
}

// DryRunBatch is one call of a dry run, as cvm.Prepared shows it.
type DryRunBatch struct {
	Params  map[string]string `json:"Params,omitempty"`
	Payload json.RawMessage   `json:"Payload,omitempty"`
}
