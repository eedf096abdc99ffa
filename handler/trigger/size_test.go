package trigger

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/request"
)

// The sources of a request, each wrapping one as its trigger does.
var requestSources = []struct {
	name string
	wrap func(t *testing.T, req []byte) []byte
}{
	{"direct", func(_ *testing.T, req []byte) []byte { return req }},
	{"timer", func(t *testing.T, req []byte) []byte {
		return mustMarshal(t, map[string]any{"Type": "Timer", "TriggerName": "t", "Time": "2026-11-30T00:00:00Z", "Message": string(req)})
	}},
	{"API Gateway", func(t *testing.T, req []byte) []byte {
		return mustMarshal(t, map[string]any{"requestContext": map[string]any{"serviceId": "service-1", "sourceIp": "203.0.113.1"}, "httpMethod": "POST",
			"headers": map[string]string{"content-type": "application/json"}, "body": string(req), "isBase64Encoded": false})
	}},
	{"EventBridge", func(t *testing.T, req []byte) []byte {
		var r map[string]any
		require.NoError(t, json.Unmarshal(req, &r))
		return mustMarshal(t, map[string]any{"specversion": "1.0", "id": "1", "type": "t", "source": "s", "region": "ap-guangzhou",
			"data": map[string]any{"InstanceIdSet": r["InstanceIds"], "Pad": r["Region"]}})
	}},
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// readAll decodes payload and reads what it asks: the request, or the
// instances an EventBridge event names.
func readAll(payload []byte) ([]string, *answer.Error) {
	ev, err := Decode(payload)
	if err != nil {
		return nil, err
	}
	if ev.Kind == KindEventBridge {
		targets, err := Targets(ev.CloudEvents, "ap-guangzhou")
		var ids []string
		for _, tg := range targets {
			ids = append(ids, tg.InstanceIDs...)
		}
		return ids, err
	}
	raw, err := ev.Request()
	return raw.InstanceIDs, err
}

// One size rule for every source: a request over request.MaxRequestBytes
// is refused (413) whether it comes directly, in a timer's Message, in an
// HTTP body or as an EventBridge event; and MAX_INSTANCES' ceiling can be
// reached: 100,000 ids are read from each.
func TestOneSizeLimitForEverySource(t *testing.T) {
	hundredThousand := make([]string, 100_000)
	for i := range hundredThousand {
		hundredThousand[i] = fmt.Sprintf("ins-%08d", i)
	}
	big := mustMarshal(t, map[string]any{"InstanceIds": hundredThousand})
	require.Greater(t, len(big), 1<<20, "over the old 1 MiB limit")
	tooLarge := mustMarshal(t, map[string]any{"InstanceIds": []string{"ins-00000001"}, "Region": strings.Repeat("a", request.MaxRequestBytes)})

	for _, src := range requestSources {
		t.Run(src.name+": 100,000 ids", func(t *testing.T) {
			ids, err := readAll(src.wrap(t, big))
			require.Nil(t, err, "%v", err)
			assert.Len(t, ids, 100_000)
			if src.name != "EventBridge" {
				_, verr := request.CheckInstanceIDs(ids, 100_000)
				assert.Nil(t, verr)
			}
		})
		t.Run(src.name+": over MaxRequestBytes", func(t *testing.T) {
			_, err := readAll(src.wrap(t, tooLarge))
			require.NotNil(t, err)
			assert.Equal(t, answer.CodeRequestTooLarge, err.Code, err.Message)
		})
	}
}
