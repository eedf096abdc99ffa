package request

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkFromJSON reads a direct invocation's request of 150 ids, and
// a small one with a flag.
func BenchmarkFromJSON(b *testing.B) {
	ids := make([]string, 150)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"ins-%08d"`, i)
	}
	for name, data := range map[string]string{
		"150 ids": `{"InstanceIds":[` + strings.Join(ids, ",") + `],"ProjectId":1045,"Region":"ap-guangzhou"}`,
		"small":   `{"InstanceIds":["ins-00000001"],"ProjectId":"1045","DryRun":true}`,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FromJSON("the event", []byte(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
