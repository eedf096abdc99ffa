// Command demo runs the function the way SCF does, locally: it starts the
// built-in CVM emulator on 127.0.0.1 with seeded instances (a few tagged,
// for the tag rules' samples), starts the function binary with
// _LAMBDA_SERVER_PORT and PROJECT_RULES, and invokes it through the runtime
// protocol with every sample event, each against a freshly seeded emulator
// so that no sample finds its instances already moved by another. It then
// shows the legacy endpoint and verified moves (an operation that takes a
// second, a move that detaches security groups and KEEP_SECURITY_GROUPS=true
// restoring them, an event naming an instance of another region), printing
// each answer with what it is for, and at the end what each one did.
//
//	go build -o dist/local/main . && go run ./cmd/demo -bin dist/local/main
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"scf-cvm-project/internal/emulator"
	"scf-cvm-project/internal/scfrpc"
)

// The documentation's example key: the emulator accepts it, Tencent Cloud
// does not. The token is the one the HTTP samples in events/ send.
const (
	demoSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	demoSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	demoAPIToken  = "cvm-project-demo-token-EXAMPLE"
)

func main() {
	bin := flag.String("bin", "dist/local/main", "the function binary")
	dir := flag.String("events", "events", "the folder of sample events")
	flag.Parse()
	if err := run(os.Stdout, *bin, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, bin, dir string) error {
	samples, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(samples) == 0 {
		return fmt.Errorf("no sample events in %s", dir)
	}
	sort.Strings(samples)

	// Every sample against its own freshly seeded emulator: what one moves,
	// the next still finds where the seed put it.
	var results []result
	fmt.Fprintf(w, "### every sample event, each against a freshly seeded emulator; API 3.0 endpoint, TC3-HMAC-SHA256 (the default)\n\n")
	for _, path := range samples {
		payload, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name := filepath.Base(path)
		purpose, ok := samplePurposes[name]
		if !ok {
			purpose = "(no purpose written down: add one to samplePurposes in cmd/demo)"
		}
		emu, base, stop, err := seededEmulator()
		if err != nil {
			return err
		}
		rs, err := invokeAll(w, emu, bin, base+"/", "TC3-HMAC-SHA256", nil, []invocation{{name, purpose, payload}})
		stop()
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}

	emu, base, stop, err := seededEmulator()
	if err != nil {
		return err
	}
	defer stop()
	runs := []struct {
		title, endpoint, method string
		env                     []string
		before                  func() // prepares the emulator
		invocations             []invocation
	}{
		{"legacy endpoint, HmacSHA256 (the v2 request format)", base + "/v2/index.php", "HmacSHA256", nil, nil, []invocation{
			{"legacy: two instances", "move two instances to project 2048", []byte(`{"InstanceIds":["ins-00000151","ins-00000152"],"ProjectId":2048}`)},
			{"legacy: a load-balanced instance", "an instance bound to a load balancer (the API refuses the batch)", []byte(`{"InstanceIds":["ins-00000153","ins-lb000001"],"ProjectId":2048}`)},
			{"legacy: an unknown instance", "an instance that does not exist", []byte(`{"InstanceIds":["ins-0000dead"],"ProjectId":2048}`)},
			{"legacy: a dry run", "a dry run: validated, batched and signed, nothing sent", []byte(`{"InstanceIds":["ins-00000154","ins-00000155"],"ProjectId":2048,"DryRun":true}`)},
			{"legacy: no token", "an HTTP call without the token (refused before anything is read or sent)", []byte(`{"httpMethod":"POST","headers":{"content-type":"application/json","x-scf-remote-addr":"203.0.113.24"},` +
				`"body":"{\"InstanceIds\":[\"ins-00000156\"],\"ProjectId\":2048}","path":"/","queryString":{}}`)},
		}},
		{"verified moves, KEEP_SECURITY_GROUPS=true; API 3.0 endpoint, TC3-HMAC-SHA256", base + "/", "TC3-HMAC-SHA256", []string{"KEEP_SECURITY_GROUPS=true"},
			func() {
				// Each move now stays OPERATING for a second and, once it
				// succeeds, leaves the instance without security groups, as
				// the legacy API's page says moves do.
				emu.SetOperationDuration(time.Second)
				emu.SetDetachSecurityGroupsOnMove(true)
				emu.SetSecurityGroups("ins-00000157", "sg-web00001", "sg-ssh00001")
				emu.SetSecurityGroups("ins-00000158", "sg-web00001", "sg-ssh00001")
				emu.SetFailMove("ins-00000159", true)
				emu.AddInstances(emulator.Instance{ID: "ins-00000201", Region: "ap-beijing", Tags: []emulator.Tag{{Key: "env", Value: "prod"}}})
				emu.AddInstances(emulator.Instance{ID: "ins-00000202", ProjectID: 2048})
			}, []invocation{
				{"verified: a dry run", "a dry run: read, decided, signed; no write sent", []byte(`{"InstanceIds":["ins-00000157","ins-00000158","ins-00000202"],"ProjectId":2048,"DryRun":true}`)},
				{"verified: confirmed, groups kept", "a move confirmed after a second; the groups it detached associated again; one already there", []byte(`{"InstanceIds":["ins-00000157","ins-00000158","ins-00000202"],"ProjectId":2048}`)},
				{"verified: FAILED", "a move whose operation ends FAILED", []byte(`{"InstanceIds":["ins-00000159","ins-00000160"],"ProjectId":2048}`)},
				{"verified: another region", "an event of ap-shanghai naming an instance of ap-beijing: listed and moved in ap-beijing",
					[]byte(`{"specversion":"1.0","region":"ap-shanghai","subject":"qcs::cvm:ap-beijing:uin/100000000001:instance/ins-00000201"}`)},
			}},
	}
	for _, r := range runs {
		fmt.Fprintf(w, "### %s: %s\n\n", r.title, r.endpoint)
		if r.before != nil {
			r.before()
		}
		rs, err := invokeAll(w, emu, bin, r.endpoint, r.method, r.env, r.invocations)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	in157, _ := emu.Instance("ins-00000157")
	fmt.Fprintf(w, "ins-00000157 after its move: project %d, security groups %v\n\n", in157.ProjectID, in157.SecurityGroupIDs)
	printSummary(w, results)
	return nil
}

// seededEmulator starts an emulator on loopback holding the demo's instances.
func seededEmulator() (emu *emulator.Emulator, base string, stop func(), err error) {
	emu = emulator.New()
	emu.AddKey(emulator.Key{SecretID: demoSecretID, SecretKey: demoSecretKey})
	seed(emu)
	base, stop, err = emu.Start()
	return emu, base, stop, err
}

// invocation is one payload to send, its name, and what it is for.
type invocation struct {
	title, purpose string
	payload        []byte
}

// result is what one invocation did: its answer's Code (or HTTP status) and
// the instances whose project changed.
type result struct {
	invocation
	outcome string
	moved   map[int64][]string // by the project they went to
}

func invokeAll(w io.Writer, emu *emulator.Emulator, bin, endpoint, method string, extraEnv []string, invocations []invocation) ([]result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	fn, err := scfrpc.Start(ctx, bin, append([]string{
		"PATH=" + os.Getenv("PATH"),
		"CVM_ENDPOINT=" + endpoint,
		"TAG_ENDPOINT=" + u.Scheme + "://" + u.Host + emulator.PathTag,    // the records of KEEP_SECURITY_GROUPS, on the emulator
		"INVOKE_ENDPOINT=" + u.Scheme + "://" + u.Host + emulator.PathSCF, // SCF's Invoke, on the emulator
		"SIGNATURE_METHOD=" + method,
		"TENCENTCLOUD_REGION=ap-guangzhou",
		"API_TOKEN=" + demoAPIToken, // the HTTP samples send it
		"ALLOW_GET=true",            // events/apigw-query.json is a GET
		"PROJECT_RULES=" + demoRules,
	}, extraEnv...))
	if err != nil {
		return nil, err
	}
	defer fn.Stop()

	// SCF passes the execution role's keys with every invocation.
	env := map[string]string{"TENCENTCLOUD_SECRETID": demoSecretID, "TENCENTCLOUD_SECRETKEY": demoSecretKey}
	var results []result
	for _, inv := range invocations {
		before := projects(emu)
		answer, err := fn.Invoke(inv.payload, scfrpc.Invocation{Timeout: 10 * time.Second, Env: env})
		var outcome string
		var ferr *scfrpc.FunctionError
		switch {
		case errors.As(err, &ferr):
			// A function error is an outcome too: SCF would retry it.
			outcome = "function error (SCF retries it): " + ferr.Message
			answer = []byte(outcome)
		case err != nil:
			return nil, fmt.Errorf("%s: %w", inv.title, err)
		default:
			outcome = outcomeOf(answer)
		}
		fmt.Fprintf(w, "== %s: %s\n%s\n\n", inv.title, inv.purpose, readable(answer))
		results = append(results, result{invocation: inv, outcome: outcome, moved: movedSince(before, emu)})
	}
	// What the function logged (JSON lines, one per upstream call), the last
	// few, after a run of several invocations.
	if len(invocations) > 1 {
		lines := strings.Split(strings.TrimSpace(fn.Output()), "\n")
		fmt.Fprintf(w, "The function's log, last %d of %d lines:\n%s\n\n", min(3, len(lines)), len(lines), strings.Join(lines[max(0, len(lines)-3):], "\n"))
	}
	return results, nil
}

// outcomeOf is an answer's Code, with its HTTP status for an HTTP answer.
func outcomeOf(answer []byte) string {
	var a struct {
		StatusCode *int   `json:"statusCode"`
		Body       string `json:"body"`
		Code       string
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return "not JSON"
	}
	if a.StatusCode != nil {
		var body struct{ Code string }
		_ = json.Unmarshal([]byte(a.Body), &body)
		return fmt.Sprintf("HTTP %d %s", *a.StatusCode, body.Code)
	}
	return a.Code
}

// projects is each instance's project.
func projects(emu *emulator.Emulator) map[string]int64 {
	out := map[string]int64{}
	for _, in := range emu.Instances() {
		out[in.ID] = in.ProjectID
	}
	return out
}

// movedSince is the instances whose project is not the one before shows,
// by their project now.
func movedSince(before map[string]int64, emu *emulator.Emulator) map[int64][]string {
	moved := map[int64][]string{}
	for _, in := range emu.Instances() {
		if p, ok := before[in.ID]; !ok || p != in.ProjectID {
			moved[in.ProjectID] = append(moved[in.ProjectID], in.ID)
		}
	}
	return moved
}

// printSummary says, for each invocation, what it is for and what it did.
func printSummary(w io.Writer, results []result) {
	fmt.Fprintln(w, "### What each invocation did")
	total := 0
	for _, r := range results {
		did := "moved nothing"
		if len(r.moved) > 0 {
			var parts []string
			for _, p := range sortedKeys(r.moved) {
				ids := r.moved[p]
				sort.Strings(ids)
				total += len(ids)
				parts = append(parts, fmt.Sprintf("moved %d into project %d (%s)", len(ids), p, list(ids)))
			}
			did = strings.Join(parts, "; ")
		}
		fmt.Fprintf(w, "%-34s %s\n%-34s   -> %s: %s\n", r.title, r.purpose, "", r.outcome, did)
	}
	fmt.Fprintf(w, "\n%d invocations moved %d instances.\n", len(results), total)
}

func sortedKeys(m map[int64][]string) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// list shows a few instance ids, eliding the middle of a long list.
func list(ids []string) string {
	if len(ids) > 6 {
		return strings.Join(ids[:3], " ") + " … " + strings.Join(ids[len(ids)-3:], " ")
	}
	return strings.Join(ids, " ")
}

// readable shows an HTTP answer's body as JSON rather than as a string.
func readable(answer []byte) string {
	var http struct {
		StatusCode *int   `json:"statusCode"`
		Body       string `json:"body"`
	}
	if json.Unmarshal(answer, &http) == nil && http.StatusCode != nil {
		return fmt.Sprintf("HTTP %d %s", *http.StatusCode, shorten(http.Body))
	}
	return shorten(string(answer))
}

// shorten elides the middle of long instance lists, keeping the answer readable.
func shorten(s string) string {
	const max = 900
	if len(s) <= max {
		return s
	}
	return s[:max/2] + " … " + s[len(s)-max/2:]
}

// demoRules are the function's tag rules: env=prod to 1045, any team to 7.
const demoRules = `[{"Tag":{"Key":"env","Value":"prod"},"ProjectId":1045},{"Tag":{"Key":"team"},"ProjectId":7}]`

func seed(emu *emulator.Emulator) {
	for i := 1; i <= 200; i++ {
		emu.AddInstances(emulator.Instance{ID: fmt.Sprintf("ins-%08d", i)})
	}
	emu.AddInstances(emulator.Instance{ID: "ins-lb000001", LoadBalanced: true})
	// The instances the EventBridge and rules samples name, tagged as they say.
	prod, team := emulator.Tag{Key: "env", Value: "prod"}, emulator.Tag{Key: "team", Value: "data"}
	for id, tag := range map[int]emulator.Tag{161: prod, 162: team, 163: prod, 164: prod, 165: team, 166: prod, 167: team, 168: prod, 171: prod, 172: team} {
		emu.SetTags(fmt.Sprintf("ins-%08d", id), tag)
	}
	emu.SetTags("ins-00000173", emulator.Tag{Key: "env", Value: "dev"})
}

// samplePurposes says what each sample in events/ is for: the demo prints it
// beside the sample's answer and in its closing summary.
var samplePurposes = map[string]string{
	"apigw-base64.json":             "API Gateway, a base64-encoded body: two instances to 1045",
	"apigw-query.json":              "API Gateway GET with a query string (ALLOW_GET), SkipInvalid: two instances to 1045",
	"apigw.json":                    "API Gateway POST with a JSON body: two instances to 1045",
	"direct-150.json":               "a direct invocation of 150 instances: two batches (100 + 50) to 1045",
	"direct.json":                   "a direct invocation, the smallest request: one instance to 1045",
	"eventbridge-alarm.json":        "an EventBridge CVM alarm (its subject misspelt \"subjuect\", as sent): the tag rules move the instance",
	"eventbridge-batch.json":        "an EventBridge batch of three tag events: each instance by its tags",
	"eventbridge-modify-tags.json":  "an EventBridge ModifyResourceTags call: the retagged instance by its tags",
	"eventbridge-no-instance.json":  "an EventBridge COS event that names no instance: nothing to do, not an error",
	"eventbridge-runinstances.json": "an EventBridge RunInstances call: the new instances by their tags",
	"eventbridge-tag.json":          "an EventBridge tag event: the tagged instance by its tags",
	"function-url.json":             "a function URL call, lenient value types (a comma list, a quoted number): two instances to 1045",
	"invalid-malformed-id.json":     "a malformed instance id: refused before any call",
	"rules-direct.json":             "a direct invocation with its own tag rules: each instance by its tags, one matching none",
	"rules-timer-reconcile.json":    "the timer's reconciliation: every configured rule applied to the region's instances",
	"timer-query.json":              "a timer whose Message is a query string: two instances to 1045",
	"timer.json":                    "a timer whose Message is a JSON request: two instances to 1045",
}
