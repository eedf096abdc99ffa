package answer

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An answer in which 100,000 instances each failed with a message of their
// own (about 25 MB) is compacted under MaxAnswerBytes, and still says the
// code of every instance.
func TestALargeAnswerIsCompactedAndKeepsEveryInstancesCode(t *testing.T) {
	a := Answer{Code: CodePartialSuccess}
	const n = 100_000
	for i := range n {
		id := fmt.Sprintf("ins-%08d", i)
		a.InstanceIds = append(a.InstanceIds, id)
		code := CodeOperationFailed
		if i%10 == 0 {
			code = CodeInstanceNotFound
		}
		a.Failed = append(a.Failed, Failure{InstanceId: id, Code: code,
			Message: "the move was accepted (RequestId 6EF60BEC-0242-43AF-BB20-270359FB54A7) but its operation ended FAILED" + strings.Repeat(".", 40)})
		a.SecurityGroups = append(a.SecurityGroups, SecurityGroupChange{InstanceId: id, Before: []string{"sg-aaaaaaaa"}, After: []string{}, Restored: i%2 == 0})
	}
	a = built(a)
	full, err := json.Marshal(a)
	require.NoError(t, err)
	require.Greater(t, len(full), MaxAnswerBytes, "the test's answer is over the limit")

	b := a.JSON()
	assert.LessOrEqual(t, len(b), MaxAnswerBytes)
	var got Answer
	require.NoError(t, json.Unmarshal(b, &got))
	assert.True(t, got.Compact)
	assert.Len(t, got.Failed, keepInFull)
	codes := map[string]string{}
	for _, g := range got.FailedByCode {
		for _, id := range g.InstanceIds {
			codes[id] = g.Code
		}
	}
	assert.Len(t, codes, n, "every failed instance is there, with its code")
	assert.Equal(t, CodeInstanceNotFound, codes["ins-00000010"])
	assert.Equal(t, CodeOperationFailed, codes["ins-00000011"])
	restored := 0
	for _, g := range got.SecurityGroupsByCode {
		if *g.Restored {
			restored += len(g.InstanceIds)
		}
	}
	assert.Equal(t, n/2, restored)

	small := Answer{Code: CodeSuccess}
	small = built(small)
	assert.NotContains(t, string(small.JSON()), "Compact", "an answer under the limit is as it was")
}

// No socket address leaves in an answer, wherever it was written; the
// rest of the answer is as it was.
func TestAnAnswerMasksSocketAddresses(t *testing.T) {
	a := Answer{Code: CodeUpstreamUnreachable, Message: "dial tcp 10.0.0.5:8443: refused; gateway [fd00::1]:443 down", ProjectId: new(int64)}
	*a.ProjectId = 1045
	a = built(a)
	b := string(a.JSON())
	assert.NotContains(t, b, "10.0.0.5:8443")
	assert.NotContains(t, b, "[fd00::1]:443")
	assert.Contains(t, b, `"ProjectId":1045`)
	json := []byte(`{"Attempts":1,"ProjectId":1045}`)
	assert.Equal(t, json, maskAddresses(json, "(an address)"), "JSON's own colons are not addresses")
}

// Masking around each candidate ':' masks what the patterns, run on the
// whole text, mask.
func TestMaskAddressesAgreesWithThePatternsOnTheWholeText(t *testing.T) {
	pair, addr := socketPair(), socketAddr()
	for _, text := range []string{
		`dial tcp 10.0.0.5:8443: connect: connection refused`,
		`read tcp 127.0.0.1:34524->10.1.2.3:443: read: connection reset by peer`,
		`write tcp6 [fd00::1:2]:5->[fd00::9]:443: broken pipe`,
		`{"Message":"cvm: 127.0.0.1:9: no time left","Endpoint":"http://127.0.0.1:9/v2/index.php","T":"15:47:19"}`,
		`1234.5.6.7:80 and 999.1.1.1:1:2:3 and [::1]:8 [zz]:9 1.2.3:4`,
		`tcp 10.0.0.1:5->cvm.tencentcloudapi.com:443 then 10.0.0.1:`,
		strings.Repeat(`{"InstanceId":"ins-00000001","Code":"Success"},`, 50) + `read tcp 10.9.8.7:6`,
	} {
		want := addr.ReplaceAll(pair.ReplaceAll([]byte(text), []byte("X")), []byte("X"))
		assert.Equal(t, string(want), string(maskAddresses([]byte(text), "X")), text)
	}
}
