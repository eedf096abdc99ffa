package listing

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"scf-cvm-project/cvm"
	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/signer"
)

// keepBody is an HTTP client that keeps the last answer's body.
type keepBody struct{ body []byte }

func (k *keepBody) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if k.body, err = io.ReadAll(resp.Body); err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(k.body))
	return resp, nil
}

// BenchmarkDecodeHundredInstances decodes the emulator's answer to one
// DescribeInstances of 100 instances by id (the API's Instance shape) as
// the client does: most of the CPU of a verified move's read.
func BenchmarkDecodeHundredInstances(b *testing.B) {
	emu := emulator.New()
	emu.AddKey(emulator.ExampleKey())
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("ins-%08d", i+1)
		emu.AddInstances(emulator.Instance{ID: ids[i]})
	}
	base, stop, err := emu.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	kept := &keepBody{}
	client, err := cvm.New(base+"/", signer.TC3HmacSHA256, kept)
	if err != nil {
		b.Fatal(err)
	}
	k := emulator.ExampleKey()
	var page describeAnswer
	if _, err := client.Call(context.Background(), fixedKeys{SecretID: k.SecretID, SecretKey: k.SecretKey}, "ap-guangzhou",
		cvm.DescribeInstances{InstanceIds: ids, Limit: cvm.PageSize}, &page); err != nil || len(page.InstanceSet) != len(ids) {
		b.Fatalf("%d instances, %v", len(page.InstanceSet), err)
	}
	b.SetBytes(int64(len(kept.body)))
	b.ReportAllocs()
	for b.Loop() {
		var p describeAnswer
		if _, _, err := signer.DecodeResponse(kept.body, &p); err != nil {
			b.Fatal(err)
		}
	}
}
