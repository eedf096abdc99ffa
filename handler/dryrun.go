package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

// Preparer builds and signs a call without sending it, for dry runs;
// *cvm.Client is one.
type Preparer interface {
	Prepare(ctx context.Context, creds credentials.Credentials, region string, action cvm.Action) (cvm.Prepared, error)
}

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

// dryRun batches and signs req exactly as move does, and sends nothing.
// Every batch that could be signed is answered DryRunOperation.
func (h *Handler) dryRun(ctx context.Context, req Request, creds credentials.Credentials) Answer {
	projectID := req.ProjectID
	a := Answer{
		ProjectId:   &projectID,
		InstanceIds: req.InstanceIDs,
		DryRun:      &DryRun{Region: req.Region, Credentials: creds.Source, Batches: []DryRunBatch{}},
	}
	for ids := range slices.Chunk(req.InstanceIDs, cvm.MaxInstancesPerCall) {
		b := Batch{InstanceIds: ids, Code: CodeDryRun}
		p, err := h.prepare(ctx, creds, req.Region, cvm.ModifyInstancesProject{InstanceIds: ids, ProjectId: req.ProjectID})
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			b.Code, b.Message = CodeDeadlineExceeded, "not signed: the invocation's deadline ran out"
		case err != nil:
			b.Code, b.Message = CodeInternalError, "the batch could not be signed: "+err.Error()
		default:
			d := a.DryRun
			d.Action, d.Endpoint, d.SignatureMethod, d.Version = p.Action, p.Endpoint, p.SignatureMethod, p.Version
			d.Batches = append(d.Batches, DryRunBatch{Params: p.Params, Payload: p.Payload})
		}
		a.Batches = append(a.Batches, b)
	}
	a.Summarize()
	if a.Code == CodeDryRun {
		a.Message = fmt.Sprintf("dry run: %d %s call(s) signed for %s, none sent", len(a.Batches), a.DryRun.Action, a.DryRun.Endpoint)
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "dry run",
		slog.String("function_request_id", invocationID(ctx)),
		slog.String("endpoint", a.DryRun.Endpoint),
		slog.String("signature_method", a.DryRun.SignatureMethod),
		slog.Int("batches", len(a.DryRun.Batches)),
		slog.String("code", a.Code),
	)
	return a
}

func (h *Handler) prepare(ctx context.Context, creds credentials.Credentials, region string, action cvm.Action) (cvm.Prepared, error) {
	if h.Preparer == nil {
		return cvm.Prepared{}, errors.New("this function has no client to sign with")
	}
	return h.Preparer.Prepare(ctx, creds, region, action)
}
