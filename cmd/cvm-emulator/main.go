// Command cvm-emulator serves the loopback CVM API emulator of package
// emulator for the demo: it prints its base URL and the shell lines that
// point the function at it, then answers ModifyInstancesProject,
// DescribeInstances, ModifyInstancesAttribute and DescribeRegions, the Tag
// API (on /tag/) and SCF's Invoke (on /scf/) until interrupted, logging one
// JSON line per request to standard error.
//
//	cvm-emulator [-addr 127.0.0.1:9000] [-seed N] [-region ap-guangzhou]
//	    [-security-groups sg-xxxxxxxx,...] [-fail-moves ins-xxxxxxxx,...]
//	    [-rate-limits default|Action=N,...] [-operation-duration 5s]
//	    [-detach-security-groups] [-projects ID=name,...] [-function name]
//
// It accepts the key in TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and
// TENCENTCLOUD_SESSIONTOKEN, or else the API documentation's example key.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"scf-cvm-project/internal/emulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage is printed
		}
		fmt.Fprintln(os.Stderr, "cvm-emulator:", err)
		os.Exit(1)
	}
}

// options are the command's flags, checked.
type options struct {
	addr           string
	seed           int
	region         string
	securityGroups []string
	failMoves      []string
	rateLimits     map[string]int // nil: off
	opDuration     time.Duration
	detach         bool
	projects       []emulator.Project // nil: every project id exists
	function       string             // the SCF function Invoke knows ("": none)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	flags := flag.NewFlagSet("cvm-emulator", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&o.addr, "addr", "127.0.0.1:9000", "loopback `host:port` to listen on")
	flags.IntVar(&o.seed, "seed", 0, "seed `N` instances ins-00000001.. in project 0, plus ins-lb000001 bound to a load balancer")
	flags.StringVar(&o.region, "region", "ap-guangzhou", "the `region` of the seeded instances (a request naming another sees none of them), printed as TENCENTCLOUD_REGION; empty: every region")
	sgs := flags.String("security-groups", "", "comma `list` of security group IDs (sg-xxxxxxxx) bound to every seeded instance")
	fails := flags.String("fail-moves", "", "comma `list` of instance IDs whose moves end FAILED, project unchanged")
	limits := flags.String("rate-limits", "", "account-wide request limits per action a second: \"default\" (as documented: ModifyInstancesProject=10, DescribeInstances=40, ModifyInstancesAttribute=10, DescribeRegions=20, the Tag API's 20, Invoke=100) or a comma `list` of Action=N; empty: none")
	flags.DurationVar(&o.opDuration, "operation-duration", 0, "how long a move stays OPERATING before SUCCESS or FAILED (e.g. 5s); 0: it ends at once")
	flags.BoolVar(&o.detach, "detach-security-groups", false, "a move that succeeds unbinds the instance's security groups, as the legacy ModifyInstancesProject page documents")
	projects := flags.String("projects", "", "the account's projects, a comma `list` of ID=name (DescribeProjects lists them; a move to another project is refused InvalidProjectId.NotFound); empty: every project id exists")
	flags.StringVar(&o.function, "function", "", "the `name` of the SCF function Invoke knows, in namespace default")
	if err := flags.Parse(args); err != nil {
		return options{}, err
	}
	if flags.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}
	o.securityGroups = splitList(*sgs)
	o.failMoves = splitList(*fails)
	var err error
	if o.rateLimits, err = parseRateLimits(*limits); err != nil {
		return options{}, err
	}
	if o.projects, err = parseProjects(*projects); err != nil {
		return options{}, err
	}
	if o.opDuration < 0 {
		return options{}, fmt.Errorf("-operation-duration %v: want 0 or more", o.opDuration)
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseRateLimits reads -rate-limits: "" is none, "default" the
// documented limits, else Action=N pairs with N ≥ 1.
func parseRateLimits(s string) (map[string]int, error) {
	switch strings.TrimSpace(s) {
	case "":
		return nil, nil
	case "default":
		return emulator.DefaultRateLimits(), nil
	}
	out := map[string]int{}
	for _, pair := range splitList(s) {
		action, n, ok := strings.Cut(pair, "=")
		perSecond, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || strings.TrimSpace(action) == "" || err != nil || perSecond < 1 {
			return nil, fmt.Errorf("-rate-limits: %q is not Action=N with N ≥ 1 (or use \"default\")", pair)
		}
		out[strings.TrimSpace(action)] = perSecond
	}
	return out, nil
}

// parseProjects reads -projects: ID=name pairs, ID a non-negative integer.
func parseProjects(s string) ([]emulator.Project, error) {
	var out []emulator.Project
	for _, pair := range splitList(s) {
		id, name, ok := strings.Cut(pair, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		if !ok || err != nil || n < 0 || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("-projects: %q is not ID=name with ID a non-negative integer", pair)
		}
		out = append(out, emulator.Project{ID: n, Name: strings.TrimSpace(name)})
	}
	return out, nil
}

func run(args []string) error {
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	key, source, err := keyFromEnv()
	if err != nil {
		return err
	}
	instances, err := emulator.SeedInstances(o.seed)
	if err != nil {
		return err
	}
	for i := range instances {
		instances[i].Region = o.region
		instances[i].SecurityGroupIDs = slices.Clone(o.securityGroups)
		instances[i].FailMove = slices.Contains(o.failMoves, instances[i].ID)
	}
	e := emulator.New()
	e.AddKey(key)
	e.AddInstances(instances...)
	e.SetRateLimits(o.rateLimits)
	e.SetOperationDuration(o.opDuration)
	e.SetDetachSecurityGroupsOnMove(o.detach)
	e.AddProjects(o.projects...)
	if o.function != "" {
		e.AddFunction("", o.function)
	}
	e.OnCall(func(c emulator.Call) {
		log.Info("request",
			"endpoint", c.Endpoint, "signature_method", c.SignatureMethod,
			"action", c.Action, "region", c.Region, "instances", len(c.InstanceIDs), "project", c.ProjectID, "filters", len(c.Filters), "offset", c.Offset,
			"security_groups", len(c.SecurityGroups), "resources", len(c.ResourceIDs), "tag_key", c.TagKey, "function", c.FunctionName,
			"code", c.Code, "request_id", c.RequestID)
	})

	baseURL, stop, err := e.Listen(o.addr)
	if err != nil {
		return err
	}
	defer stop()
	log.Info("serving", "base_url", baseURL, "key", source, "temporary", key.Token != "", "instances", len(instances),
		"region", o.region, "rate_limits", o.rateLimits, "operation_duration", o.opDuration.String(), "detach_security_groups", o.detach)
	fmt.Println(baseURL)
	for _, line := range exports(baseURL, o.region, key, source) {
		fmt.Println(line)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	<-ctx.Done()
	log.Info("stopping")
	return nil
}

// exports returns the shell lines that point the function (go run . in
// the repository) at the emulator at baseURL: its CVM API 3.0 and Tag API
// endpoints, the region, and the key. The example key is printed whole, being public; a
// key from the environment is not (it is already exported there).
func exports(baseURL, region string, key emulator.Key, source string) []string {
	if region == "" {
		region = "ap-guangzhou"
	}
	lines := []string{
		"# Point the function at this emulator: run these in the shell of `go run .`",
		"export CVM_ENDPOINT=" + baseURL + emulator.PathAPI3,
		"export TAG_ENDPOINT=" + baseURL + emulator.PathTag,
		"export TENCENTCLOUD_REGION=" + region,
	}
	if source == "example" {
		lines = append(lines,
			"export TENCENTCLOUD_SECRETID="+key.SecretID+" TENCENTCLOUD_SECRETKEY="+key.SecretKey,
			"unset TENCENTCLOUD_SESSIONTOKEN ROLE_ARN")
	} else {
		lines = append(lines,
			"# TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and TENCENTCLOUD_SESSIONTOKEN: keep those this emulator was started with",
			"unset ROLE_ARN")
	}
	return lines
}

// keyFromEnv returns the key of the TENCENTCLOUD_* variables, or the
// documentation's example key when none is set, and which it is.
func keyFromEnv() (emulator.Key, string, error) {
	k := emulator.Key{
		SecretID:  os.Getenv("TENCENTCLOUD_SECRETID"),
		SecretKey: os.Getenv("TENCENTCLOUD_SECRETKEY"),
		Token:     os.Getenv("TENCENTCLOUD_SESSIONTOKEN"),
	}
	switch {
	case k == emulator.Key{}:
		return emulator.ExampleKey(), "example", nil
	case k.SecretID == "" || k.SecretKey == "":
		return emulator.Key{}, "", errors.New("set both TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY, or neither for the example key")
	}
	return k, "environment", nil
}
