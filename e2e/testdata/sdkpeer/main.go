// Command sdkpeer is the SDK peer of the start-up measurement: the core job
// written with the official Tencent Cloud SDK (cvm v1.1.0, common v1.3.214)
// as an SCF Go function. For a dry run it builds the ModifyInstancesProject
// request with the SDK's client and answers without sending it. Its own
// module, so that the function's go.mod does not carry the SDK:
//
//	(cd e2e/testdata/sdkpeer && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /tmp/sdkpeer .)
//	COLDSTART_BINARIES=sdkpeer=/tmp/sdkpeer go test -run '^$' -bench ColdStartAlternating -benchtime 100x -count 7 ./e2e/
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	cvm "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm/v20170312"
	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

type req struct {
	InstanceIds []string
	ProjectId   int64
	DryRun      bool
}

func handle(ctx context.Context, r req) (map[string]any, error) {
	cred := common.NewCredential(os.Getenv("TENCENTCLOUD_SECRETID"), os.Getenv("TENCENTCLOUD_SECRETKEY"))
	cpf := profile.NewClientProfile()
	if ep := os.Getenv("CVM_ENDPOINT"); ep != "" {
		cpf.HttpProfile.Endpoint = "127.0.0.1:9"
	}
	client, err := cvm.NewClient(cred, os.Getenv("TENCENTCLOUD_REGION"), cpf)
	if err != nil {
		return nil, err
	}
	request := cvm.NewModifyInstancesProjectRequest()
	request.InstanceIds = common.StringPtrs(r.InstanceIds)
	request.ProjectId = common.Int64Ptr(r.ProjectId)
	if r.DryRun {
		b, _ := json.Marshal(request)
		return map[string]any{"Code": "DryRunOperation", "Request": json.RawMessage(b)}, nil
	}
	resp, err := client.ModifyInstancesProject(request)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Code": "Success", "RequestId": *resp.Response.RequestId}, nil
}

func main() { cloudfunction.Start(handle) }
