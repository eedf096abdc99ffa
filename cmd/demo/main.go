// Command demo runs the function the way SCF does, locally: it starts the
// built-in CVM emulator on 127.0.0.1 with seeded instances (a few tagged,
// for the tag rules' samples), starts the function binary with
// _LAMBDA_SERVER_PORT and PROJECT_RULES, invokes it through the runtime
// protocol with every sample event, then shows verified moves (an
// operation that takes a second, a move that detaches security groups and
// KEEP_SECURITY_GROUPS=true restoring them, an event naming an instance of
// another region), and prints each answer and, at the end, the instances'
// projects.
//
//	go build -o dist/local/main . && go run ./cmd/demo -bin dist/local/main
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
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
	emu := emulator.New()
	emu.AddKey(emulator.Key{SecretID: demoSecretID, SecretKey: demoSecretKey})
	seed(emu)
	base, stop, err := emu.Start()
	if err != nil {
		return err
	}
	defer stop()

	samples, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(samples) == 0 {
		return fmt.Errorf("no sample events in %s", dir)
	}
	sort.Strings(samples)

	var fromSamples []invocation
	for _, path := range samples {
		payload, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fromSamples = append(fromSamples, invocation{path, payload})
	}
	runs := []struct {
		title, endpoint, method string
		env                     []string
		before                  func() // prepares the emulator
		invocations             []invocation
	}{
		{"every sample event; API 3.0 endpoint, TC3-HMAC-SHA256 (the default)", base + "/", "TC3-HMAC-SHA256", nil, nil, fromSamples},
		{"legacy endpoint, HmacSHA256 (the v2 request format)", base + "/v2/index.php", "HmacSHA256", nil, nil, []invocation{
			{"move two instances to project 2048", []byte(`{"InstanceIds":["ins-00000151","ins-00000152"],"ProjectId":2048}`)},
			{"an instance bound to a load balancer (the API refuses the batch)", []byte(`{"InstanceIds":["ins-00000153","ins-lb000001"],"ProjectId":2048}`)},
			{"an instance that does not exist", []byte(`{"InstanceIds":["ins-0000dead"],"ProjectId":2048}`)},
			{"a dry run: validated, batched and signed, nothing sent", []byte(`{"InstanceIds":["ins-00000154","ins-00000155"],"ProjectId":2048,"DryRun":true}`)},
			{"an HTTP call without the token (refused before anything is read or sent)", []byte(`{"httpMethod":"POST","headers":{"content-type":"application/json","x-scf-remote-addr":"203.0.113.24"},` +
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
			}, []invocation{
				{"a dry run: read, decided, signed; no write sent", []byte(`{"InstanceIds":["ins-00000157","ins-00000158","ins-00000151"],"ProjectId":2048,"DryRun":true}`)},
				{"a move confirmed after a second; the groups it detached associated again; one already there", []byte(`{"InstanceIds":["ins-00000157","ins-00000158","ins-00000151"],"ProjectId":2048}`)},
				{"a move whose operation ends FAILED", []byte(`{"InstanceIds":["ins-00000159","ins-00000160"],"ProjectId":2048}`)},
				{"an event of ap-shanghai naming an instance of ap-beijing: listed and moved in ap-beijing",
					[]byte(`{"specversion":"1.0","region":"ap-shanghai","subject":"qcs::cvm:ap-beijing:uin/100000000001:instance/ins-00000201"}`)},
			}},
	}
	for _, r := range runs {
		fmt.Fprintf(w, "### %s: %s\n\n", r.title, r.endpoint)
		if r.before != nil {
			r.before()
		}
		if err := invokeAll(w, bin, r.endpoint, r.method, r.env, r.invocations); err != nil {
			return err
		}
	}
	in157, _ := emu.Instance("ins-00000157")
	fmt.Fprintf(w, "ins-00000157 after its move: project %d, security groups %v\n\n", in157.ProjectID, in157.SecurityGroupIDs)
	printProjects(w, emu)
	fmt.Fprintf(w, "\nThe emulator answered %d signed requests.\n", len(emu.Calls()))
	return nil
}

// invocation is one payload to send, and what to call it.
type invocation struct {
	title   string
	payload []byte
}

func invokeAll(w io.Writer, bin, endpoint, method string, extraEnv []string, invocations []invocation) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fn, err := scfrpc.Start(ctx, bin, append([]string{
		"PATH=" + os.Getenv("PATH"),
		"CVM_ENDPOINT=" + endpoint,
		"SIGNATURE_METHOD=" + method,
		"TENCENTCLOUD_REGION=ap-guangzhou",
		"API_TOKEN=" + demoAPIToken, // the HTTP samples send it
		"ALLOW_GET=true",            // events/apigw-query.json is a GET
		"PROJECT_RULES=" + demoRules,
	}, extraEnv...))
	if err != nil {
		return err
	}
	defer fn.Stop()

	// SCF passes the execution role's keys with every invocation.
	env := map[string]string{"TENCENTCLOUD_SECRETID": demoSecretID, "TENCENTCLOUD_SECRETKEY": demoSecretKey}
	for _, inv := range invocations {
		answer, err := fn.Invoke(inv.payload, scfrpc.Invocation{Timeout: 10 * time.Second, Env: env})
		if err != nil {
			return fmt.Errorf("%s: %w", inv.title, err)
		}
		fmt.Fprintf(w, "== %s\n%s\n\n", inv.title, readable(answer))
	}
	// What the function logged (JSON lines, one per upstream call), the last few.
	lines := strings.Split(strings.TrimSpace(fn.Output()), "\n")
	fmt.Fprintf(w, "The function's log, last %d of %d lines:\n%s\n\n", min(3, len(lines)), len(lines), strings.Join(lines[max(0, len(lines)-3):], "\n"))
	return nil
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

func printProjects(w io.Writer, emu *emulator.Emulator) {
	byProject := map[int64][]string{}
	for _, in := range emu.Instances() {
		byProject[in.ProjectID] = append(byProject[in.ProjectID], in.ID)
	}
	projects := make([]int64, 0, len(byProject))
	for p := range byProject {
		projects = append(projects, p)
	}
	sort.Slice(projects, func(i, j int) bool { return projects[i] < projects[j] })
	fmt.Fprintln(w, "### The instances' projects afterwards")
	for _, p := range projects {
		ids := byProject[p]
		list := strings.Join(ids, " ")
		if len(ids) > 6 {
			list = strings.Join(ids[:3], " ") + " … " + strings.Join(ids[len(ids)-3:], " ")
		}
		fmt.Fprintf(w, "project %-5d %3d instances: %s\n", p, len(ids), list)
	}
}
