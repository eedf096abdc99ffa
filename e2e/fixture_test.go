package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// The documentation's example keys; the token is a made-up one.
const (
	secretID     = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	secretKey    = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	tempSecretID = "AKIDtemporaryz8krbsJ5yKBZQpn7EXAMPLE"
	tempKey      = "TmpKeyGu5t9xGARNpq86cd98joQYEXAMPLE"
	sessionToken = "session-token-for-e2e-tests-EXAMPLE"
	// apiToken is the bearer token of the HTTP samples in events/.
	apiToken = "cvm-project-demo-token-EXAMPLE"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scf-cvm-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "main")
	build := exec.Command("go", "build", "-trimpath", "-o", binary, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the function: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cloud is the CVM emulator on loopback, with what went over the wire.
type cloud struct {
	*emulator.Emulator
	base        string
	connections atomic.Int64

	mu         sync.Mutex
	signatures []string // every Signature / Authorization received

	// STS and the metadata service (credentials_test.go), sharing the keys.
	sts                 *emulator.STS
	metadata            *emulator.Metadata
	stsURL, metadataURL string
}

func newCloud(t testing.TB) *cloud {
	t.Helper()
	c := &cloud{Emulator: emulator.New()}
	c.AddKey(emulator.Key{SecretID: secretID, SecretKey: secretKey})
	c.AddKey(emulator.Key{SecretID: tempSecretID, SecretKey: tempKey, Token: sessionToken})
	for i := 1; i <= 200; i++ {
		c.AddInstances(emulator.Instance{ID: fmt.Sprintf("ins-%08d", i)})
	}
	c.AddInstances(emulator.Instance{ID: "ins-lb000001", LoadBalanced: true})

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{
		Handler: http.HandlerFunc(c.record),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.connections.Add(1)
			}
		},
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	c.base = "http://" + l.Addr().String()
	c.startRoleServices(t)
	return c
}

// record keeps the signature of each request, then lets the emulator answer.
func (c *cloud) record(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	sig := r.Header.Get("Authorization")
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Signature") != "" {
		sig = form.Get("Signature")
	}
	c.mu.Lock()
	c.signatures = append(c.signatures, sig)
	c.mu.Unlock()
	c.ServeHTTP(w, r)
}

func (c *cloud) secrets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []string{secretKey, tempKey, sessionToken, apiToken}
	for _, s := range c.signatures {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, k := range append(c.sts.Issued(), c.metadata.Issued()...) {
		out = append(out, k.SecretKey, k.Token)
	}
	return out
}

// moves returns the ModifyInstancesProject calls the emulator received, in
// arrival order: with VERIFY (the default) the function also reads the
// instances before and after a move, and those reads are not moves.
func (c *cloud) moves() []emulator.Call {
	return c.callsOf(emulator.Action)
}

// writes returns every call that changes something: ModifyInstancesProject
// and ModifyInstancesAttribute.
func (c *cloud) writes() []emulator.Call {
	return append(c.moves(), c.callsOf(emulator.ActionModifyAttribute)...)
}

func (c *cloud) callsOf(action string) []emulator.Call {
	var out []emulator.Call
	for _, call := range c.Calls() {
		if call.Action == action {
			out = append(out, call)
		}
	}
	return out
}

func (c *cloud) project(t *testing.T, id string) int64 {
	t.Helper()
	in, ok := c.Instance(id)
	require.True(t, ok, "instance %s is seeded", id)
	return in.ProjectID
}

// function is the built binary, started as SCF starts it.
type function struct {
	*scfrpc.Process
	env map[string]string // sent with every invocation, as SCF does
}

func startFunction(t *testing.T, c *cloud, env ...string) *function {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Configured as the demo is: the samples' token, and GET for apigw-query.json;
	// STS, the metadata service and the Tag API on loopback, never the real ones.
	base := []string{"CVM_ENDPOINT=" + c.base + "/v2/index.php", "TENCENTCLOUD_REGION=ap-guangzhou", "API_TOKEN=" + apiToken, "ALLOW_GET=true",
		"STS_ENDPOINT=" + c.stsURL + "/", "METADATA_ENDPOINT=" + c.metadataURL,
		"TAG_ENDPOINT=" + c.base + emulator.PathTag,    // the Tag API, on the same emulator
		"INVOKE_ENDPOINT=" + c.base + emulator.PathSCF} // and SCF's Invoke
	p, err := scfrpc.Start(ctx, binary, append(base, env...))
	require.NoError(t, err)
	fn := &function{Process: p, env: map[string]string{
		"TENCENTCLOUD_SECRETID":  secretID,
		"TENCENTCLOUD_SECRETKEY": secretKey,
	}}
	t.Cleanup(func() {
		p.Stop()
		out := p.Output()
		for _, s := range c.secrets() {
			assert.NotContains(t, out, s, "a secret in the function's output")
		}
	})
	return fn
}

// answer is the function's JSON answer.
type answer struct {
	RequestId   string
	Code        string
	Message     string
	ProjectId   *int64
	InstanceIds []string
	Batches     []struct {
		RequestId, Code, Message string
		InstanceIds              []string
		Attempts                 int
	}
	Rules    []ruleReport // the tag rules (rules_test.go)
	NotFound []string
	Failed   []struct {
		InstanceId, Code, Message string
	}
	IsolationCalls int

	// Verification (verify_test.go).
	Verified         bool
	NotVerified      string
	AlreadyInProject []string
	Pending          []string
	SecurityGroups   []struct {
		InstanceId    string
		Before, After []string
		Restored      bool
		Code, Message string
	}
}

type httpAnswer struct {
	IsBase64Encoded *bool             `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// invoke sends payload and decodes the answer; an HTTP answer is unwrapped
// and its status returned (0 for other events).
func (fn *function) invoke(t *testing.T, payload []byte, c *cloud) (answer, int) {
	t.Helper()
	return fn.invokeWith(t, payload, c, scfrpc.Invocation{Env: fn.env})
}

func (fn *function) invokeWith(t *testing.T, payload []byte, c *cloud, inv scfrpc.Invocation) (answer, int) {
	t.Helper()
	raw, err := fn.Invoke(payload, inv)
	require.NoError(t, err, "the function answers, it does not fail the invocation")
	for _, s := range c.secrets() {
		require.NotContains(t, string(raw), s, "a secret in the answer")
	}
	var probe map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &probe))
	status := 0
	body := raw
	if _, isHTTP := probe["statusCode"]; isHTTP {
		var h httpAnswer
		require.NoError(t, json.Unmarshal(raw, &h))
		require.NotNil(t, h.IsBase64Encoded)
		require.False(t, *h.IsBase64Encoded)
		require.Equal(t, "application/json", h.Headers["Content-Type"])
		status, body = h.StatusCode, []byte(h.Body)
	}
	var a answer
	require.NoError(t, json.Unmarshal(body, &a), "answer: %s", body)
	require.NotNil(t, a.InstanceIds, "InstanceIds is never null")
	require.NotNil(t, a.Batches, "Batches is never null")
	require.NotNil(t, a.Rules, "Rules is never null")
	require.NotNil(t, a.NotFound, "NotFound is never null")
	return a, status
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", name))
	require.NoError(t, err)
	return b
}

func ids(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("ins-%08d", i))
	}
	return out
}

// callFor returns the one call the emulator received for exactly these
// instances: batches run concurrently, so arrival order is not theirs.
func callFor(t *testing.T, calls []emulator.Call, instanceIDs []string) emulator.Call {
	t.Helper()
	var found []emulator.Call
	for _, c := range calls {
		if slices.Equal(c.InstanceIDs, instanceIDs) {
			found = append(found, c)
		}
	}
	require.Len(t, found, 1, "one call for %d instances from %v", len(instanceIDs), instanceIDs[0])
	return found[0]
}

func directPayload(t *testing.T, instanceIDs []string, project int64) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"InstanceIds": instanceIDs, "ProjectId": project})
	require.NoError(t, err)
	return b
}

// timingSlots lets at most two of the subtests that measure time run at
// once, as they did when go test ran two tests at a time: their bounds are
// for two cores, not for two cores shared with every other test. The tests
// that measure time are not parallel at the top level (they run first,
// before the parallel ones, with the package to themselves).
var timingSlots = make(chan struct{}, 2)

// timingSensitive holds one of the timingSlots until t ends.
func timingSensitive(t *testing.T) {
	t.Helper()
	timingSlots <- struct{}{}
	t.Cleanup(func() { <-timingSlots })
}

// refusedURL is an address where nothing listens, so a connection is
// refused at once: port 1 on loopback. (A closed httptest server's port may
// be taken again by a test running in parallel.)
const refusedURL = "http://127.0.0.1:1"
