package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"scf-cvm-project/signer"
)

var (
	testNow = time.Unix(1700000000, 0) // 2023-11-14T22:13:20Z
	permKey = Key{SecretID: "AKIDpermanent0000000000000000000001", SecretKey: "permanent-secret-key-00000000001"}
	tempKey = Key{SecretID: "AKIDtemporary0000000000000000000001", SecretKey: "temporary-secret-key-0000000001", Token: "session-token-1"}
	// unknownKey is a key the emulator does not know.
	unknownKey = Key{SecretID: "AKIDunknown00000000000000000000001", SecretKey: "unknown-secret-key-000000000001"}
)

// testTable is the table every test starts from.
func testTable() []Instance {
	return []Instance{
		{ID: "ins-aaaa0001"},
		{ID: "ins-aaaa0002"},
		{ID: "ins-aaaa0003", ProjectID: 7},
		{ID: "ins-lb000001", LoadBalanced: true},
	}
}

// env is an emulator served on the loopback with a fixed clock, both keys
// and testTable.
type env struct {
	e    *Emulator
	base string
	host string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := New()
	e.SetClock(func() time.Time { return testNow })
	e.AddKey(permKey)
	e.AddKey(tempKey)
	e.AddInstances(testTable()...)
	base, stop, err := e.Start()
	require.NoError(t, err)
	t.Cleanup(stop)
	u, err := url.Parse(base)
	require.NoError(t, err)
	return &env{e: e, base: base, host: u.Host}
}

// v1Params returns the parameters of a ModifyInstancesProject moving
// ins-aaaa0001 and ins-aaaa0002 to project 1045, for key k and method m
// ("" sends no SignatureMethod), numbered from first. edit changes them
// before they are signed.
func (v *env) v1Params(t *testing.T, httpMethod, path string, k Key, m signer.Method, first int, edit func(map[string]string)) map[string]string {
	t.Helper()
	p := map[string]string{
		"Action":                               Action,
		"Version":                              Version,
		"Region":                               "ap-guangzhou",
		"Timestamp":                            strconv.FormatInt(testNow.Unix(), 10),
		"Nonce":                                "11886",
		"SecretId":                             k.SecretID,
		"ProjectId":                            "1045",
		"InstanceIds." + strconv.Itoa(first):   "ins-aaaa0001",
		"InstanceIds." + strconv.Itoa(first+1): "ins-aaaa0002",
	}
	if m != "" {
		p["SignatureMethod"] = string(m)
	}
	if k.Token != "" {
		p["Token"] = k.Token
	}
	if edit != nil {
		edit(p)
	}
	sign := m
	if sign == "" {
		sign = signer.HmacSHA1
	}
	sig, err := signer.SignV1(signer.V1Request{HTTPMethod: httpMethod, Host: v.host, Path: path, Params: p, Legacy: path == PathLegacy}, sign, k.SecretKey)
	require.NoError(t, err)
	p["Signature"] = sig
	return p
}

// sendV1 sends params as a form POST or a GET query.
func (v *env) sendV1(t *testing.T, httpMethod, path string, params map[string]string) answer {
	t.Helper()
	form := url.Values{}
	for k, val := range params {
		form.Set(k, val)
	}
	var req *http.Request
	var err error
	if httpMethod == http.MethodGet {
		req, err = http.NewRequest(http.MethodGet, v.base+path+"?"+form.Encode(), nil)
	} else {
		req, err = http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	require.NoError(t, err)
	return do(t, req)
}

// postV1 signs and sends a form POST in one step.
func (v *env) postV1(t *testing.T, path string, k Key, edit func(map[string]string)) answer {
	t.Helper()
	return v.sendV1(t, http.MethodPost, path, v.v1Params(t, http.MethodPost, path, k, signer.HmacSHA256, 0, edit))
}

// tc3Msg is a TC3 request before it is signed: its headers, what the
// signature covers and the key it is signed with.
type tc3Msg struct {
	header http.Header
	sign   signer.TC3Request
	key    Key
}

// defaultTC3Body moves ins-aaaa0001 and ins-aaaa0002 to project 1045.
const defaultTC3Body = `{"InstanceIds":["ins-aaaa0001","ins-aaaa0002"],"ProjectId":1045}`

// postTC3 sends a TC3-signed JSON POST to API 3.0. before changes the
// message before it is signed (X-TC-Timestamp is then set from
// sign.Timestamp); after changes m.header once signed.
func (v *env) postTC3(t *testing.T, k Key, body string, before, after func(*tc3Msg)) answer {
	t.Helper()
	m := tc3Msg{
		header: http.Header{},
		sign: signer.TC3Request{
			HTTPMethod: http.MethodPost, Path: "/", Host: v.host, ContentType: "application/json; charset=utf-8",
			Payload: []byte(body), Service: "cvm", Timestamp: testNow.Unix(),
		},
		key: k,
	}
	m.header.Set("Content-Type", m.sign.ContentType)
	m.header.Set("X-TC-Action", Action)
	m.header.Set("X-TC-Version", Version)
	m.header.Set("X-TC-Region", "ap-guangzhou")
	if k.Token != "" {
		m.header.Set("X-TC-Token", k.Token)
	}
	if before != nil {
		before(&m)
	}
	m.header.Set("X-TC-Timestamp", strconv.FormatInt(m.sign.Timestamp, 10))
	m.header.Set("Authorization", signer.TC3Sign(m.sign, m.key.SecretID, m.key.SecretKey).Authorization)
	if after != nil {
		after(&m)
	}
	req, err := http.NewRequest(http.MethodPost, v.base+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header = m.header
	return do(t, req)
}

// answer is a decoded answer, in either shape.
type answer struct {
	Status      int
	ContentType string
	Old         bool   // the legacy old shape
	LegacyCode  int    // its numeric code
	Code        string // "" on success
	Message     string
	RequestID   string // API 3.0 shape only
	Body        string
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(b)}

	var shape struct {
		Response *struct {
			Error *struct {
				Code, Message string
			}
			RequestID string `json:"RequestId"`
		}
		Code     *int   `json:"code"`
		Message  string `json:"message"`
		CodeDesc string `json:"codeDesc"`
	}
	require.NoError(t, json.Unmarshal(b, &shape), "answer %s", b)
	switch {
	case shape.Response != nil:
		a.RequestID = shape.Response.RequestID
		if e := shape.Response.Error; e != nil {
			a.Code, a.Message = e.Code, e.Message
		}
	case shape.Code != nil:
		a.Old, a.LegacyCode, a.Message = true, *shape.Code, shape.Message
		if shape.CodeDesc != "Success" {
			a.Code = shape.CodeDesc
		}
	default:
		require.Failf(t, "answer in neither shape", "%s", b)
	}
	return a
}

// projects returns the project of every instance, by ID.
func projects(e *Emulator) map[string]int64 {
	out := map[string]int64{}
	for _, in := range e.Instances() {
		out[in.ID] = in.ProjectID
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
