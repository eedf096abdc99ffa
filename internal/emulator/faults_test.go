package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

// rawPost sends a signed v1 move of ins-aaaa0001 and ins-aaaa0002 and
// returns the raw HTTP outcome, whatever it is.
func (v *env) rawPost(t *testing.T, client *http.Client) (*http.Response, []byte, error) {
	t.Helper()
	params := v.v1Params(t, http.MethodPost, PathAPI3, permKey, signer.HmacSHA256, 0, nil)
	form := url.Values{}
	for k, val := range params {
		form.Set(k, val)
	}
	req, err := http.NewRequest(http.MethodPost, v.base+PathAPI3, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// Each scripted fault replaces one answer, moves nothing, is recorded with
// its name, and the next request is answered as usual.
func TestEachFaultReplacesOneAnswer(t *testing.T) {
	tests := []struct {
		kind     FaultKind
		check    func(t *testing.T, resp *http.Response, body []byte, err error)
		wantCode string
	}{
		{FaultReset, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			require.Error(t, err)
			assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF"), "%v", err)
		}, ""},
		{FaultHTTP500, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, 500, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
			assert.Contains(t, string(body), "<html>")
		}, ""},
		{FaultHTTP502, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, 502, resp.StatusCode)
			assert.Contains(t, string(body), "Bad Gateway")
		}, ""},
		{FaultHTTP429, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, 429, resp.StatusCode)
			assert.Contains(t, string(body), "Too Many Requests")
		}, ""},
		{FaultTruncatedJSON, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, 200, resp.StatusCode)
			assert.True(t, strings.HasPrefix(string(body), `{"Response":`))
			assert.False(t, json.Valid(body), "cut short: %s", body)
		}, ""},
		{FaultInternalServerError, wantAPIError(CodeInternalServerError), CodeInternalServerError},
		{FaultRequestLimitExceeded, wantAPIError(CodeRequestLimitExceeded), CodeRequestLimitExceeded},
		{FaultSignatureExpire, wantAPIError(CodeSignatureExpire), CodeSignatureExpire},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			v := newEnv(t)
			v.e.Script(Fault{Kind: tt.kind})
			client := &http.Client{Transport: &http.Transport{}}
			resp, body, err := v.rawPost(t, client)
			tt.check(t, resp, body, err)
			assert.EqualValues(t, 0, projects(v.e)["ins-aaaa0001"], "a fault moves nothing")

			_, body, err = v.rawPost(t, client)
			require.NoError(t, err)
			assert.JSONEq(t, `{"Response":{"RequestId":"`+v.e.Calls()[1].RequestID+`"}}`, string(body), "then answered as usual")
			assert.EqualValues(t, 1045, projects(v.e)["ins-aaaa0001"])

			calls := v.e.Calls()
			require.Len(t, calls, 2, "every request is recorded, faulted or not")
			assert.Equal(t, tt.kind.String(), calls[0].Fault)
			assert.Equal(t, tt.wantCode, calls[0].Code)
			assert.Equal(t, []string{"ins-aaaa0001", "ins-aaaa0002"}, calls[0].InstanceIDs, "what was asked is recorded")
			assert.Empty(t, calls[1].Fault)
		})
	}
}

func wantAPIError(code string) func(t *testing.T, resp *http.Response, body []byte, err error) {
	return func(t *testing.T, resp *http.Response, body []byte, err error) {
		require.NoError(t, err)
		assert.Equal(t, 200, resp.StatusCode)
		var a struct {
			Response struct {
				Error struct{ Code, Message string }
			}
		}
		require.NoError(t, json.Unmarshal(body, &a))
		assert.Equal(t, code, a.Response.Error.Code)
		assert.NotEmpty(t, a.Response.Error.Message)
	}
}

func TestAScriptIsConsumedInOrder(t *testing.T) {
	v := newEnv(t)
	v.e.Script(Fault{Kind: FaultInternalServerError}, Fault{}, Fault{Kind: FaultSignatureExpire})
	var codes []string
	for range 4 {
		a := v.postV1(t, PathAPI3, permKey, nil)
		codes = append(codes, a.Code)
	}
	assert.Equal(t, []string{CodeInternalServerError, "", CodeSignatureExpire, ""}, codes)
}

func TestADelayedRequestTheClientGivesUpOnIsRecordedAsAbandoned(t *testing.T) {
	v := newEnv(t)
	v.e.Script(Fault{Delay: 5 * time.Second})
	start := time.Now()
	_, _, err := v.rawPost(t, &http.Client{Timeout: 100 * time.Millisecond})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 2*time.Second)
	require.Eventually(t, func() bool { return len(v.e.Calls()) == 1 }, 2*time.Second, 10*time.Millisecond)
	assert.Equal(t, "abandoned", v.e.Calls()[0].Fault)
	assert.EqualValues(t, 0, projects(v.e)["ins-aaaa0001"])
}

func TestADelayThenAnAnswer(t *testing.T) {
	v := newEnv(t)
	v.e.Script(Fault{Delay: 60 * time.Millisecond})
	start := time.Now()
	a := v.postV1(t, PathAPI3, permKey, nil)
	assert.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
	assert.Empty(t, a.Code)
	assert.EqualValues(t, 1045, projects(v.e)["ins-aaaa0001"])
}

func TestLatencyDelaysEveryAnswer(t *testing.T) {
	v := newEnv(t)
	v.e.SetLatency(40 * time.Millisecond)
	for range 2 {
		start := time.Now()
		a := v.postV1(t, PathAPI3, permKey, nil)
		assert.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
		assert.Empty(t, a.Code)
	}
}

// The rate limit is a token bucket on the emulator's clock.
func TestTheRateLimitRefusesRequestsBeyondIt(t *testing.T) {
	v := newEnv(t)
	now := testNow
	v.e.SetClock(func() time.Time { return now })
	v.e.SetRateLimit(10, 2)
	var codes []string
	for range 3 {
		codes = append(codes, v.postV1(t, PathAPI3, permKey, nil).Code)
	}
	assert.Equal(t, []string{"", "", CodeRequestLimitExceeded}, codes, "a burst of 2, then refused")

	now = now.Add(100 * time.Millisecond) // one token more
	v.e.SetClock(func() time.Time { return now })
	assert.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code)
	assert.Equal(t, CodeRequestLimitExceeded, v.postV1(t, PathAPI3, permKey, nil).Code)

	calls := v.e.Calls()
	require.Len(t, calls, 5)
	assert.Equal(t, CodeRequestLimitExceeded, calls[2].Code)
	assert.Empty(t, calls[2].Fault, "a refusal of the limit, not a scripted fault")

	v.e.SetRateLimit(0, 0)
	assert.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code, "no limit any more")
}

func TestTheRateLimitCountsOnlyAuthenticatedRequests(t *testing.T) {
	v := newEnv(t)
	v.e.SetRateLimit(10, 1)
	assert.Equal(t, CodeSecretIDNotFound, v.postV1(t, PathAPI3, unknownKey, nil).Code)
	assert.Empty(t, v.postV1(t, PathAPI3, permKey, nil).Code, "the stranger's request took no token")
}

func TestTerseMessagesNameNoInstance(t *testing.T) {
	v := newEnv(t)
	v.e.SetTerseMessages(true)
	a := v.postV1(t, PathAPI3, permKey, func(p map[string]string) { p["InstanceIds.1"] = "ins-dead0001" })
	assert.Equal(t, CodeNotFound, a.Code)
	assert.NotContains(t, a.Message, "ins-")
	a = v.postV1(t, PathAPI3, permKey, func(p map[string]string) { p["InstanceIds.1"] = "ins-lb000001" })
	assert.Equal(t, CodeNotSupported, a.Code)
	assert.NotContains(t, a.Message, "ins-")

	v.e.SetTerseMessages(false)
	a = v.postV1(t, PathAPI3, permKey, func(p map[string]string) { p["InstanceIds.1"] = "ins-dead0001" })
	assert.Contains(t, a.Message, `"ins-dead0001"`)
}
