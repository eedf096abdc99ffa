package listing_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/listing"
	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/signer"
)

// BenchmarkReadHundredInstances reads 100 instances by id (one
// DescribeInstances, signed with TC3) from the emulator on loopback, whose
// answer has the API's full Instance shape: the CPU of a verified move's
// read, mostly decoding the answer.
func BenchmarkReadHundredInstances(b *testing.B) {
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
	client, err := cvm.New(base+"/", signer.TC3HmacSHA256, &http.Client{})
	if err != nil {
		b.Fatal(err)
	}
	k := emulator.ExampleKey()
	keys := credentials.Credentials{SecretID: k.SecretID, SecretKey: k.SecretKey}
	b.ReportAllocs()
	for b.Loop() {
		got, _, err := listing.Instances(context.Background(), client, keys, "ap-guangzhou", listing.Query{InstanceIDs: ids})
		if err != nil || len(got) != len(ids) {
			b.Fatalf("%d instances, %v", len(got), err)
		}
	}
}
