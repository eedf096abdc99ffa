package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// config is what a deploy needs to know.
type config struct {
	Stage, Region, FunctionName string
	RoleName, PolicyName        string
	ZipPath                     string
	EventBusID                  string            // EventBridge's bus, with tag rules
	Env                         map[string]string // the function's environment
	Poll                        time.Duration     // between two reads of a function that is not Active yet
}

// Names of the resources, as serverless.yml has them.
const (
	roleName      = "SCF_CVMProjectRole"
	policyName    = "SCF_CVMProjectPolicy"
	timerName     = "reconcile-projects"
	urlName       = "function-url"
	ruleName      = "cvm-project-tags"
	reconcileCron = "0 0 */6 * * * *" // 7 fields: second minute hour day month weekday year
)

// functionSettings are the settings a settings file may give the function
// (docs/configuration.md); the others are SCF's, or for tests only.
var functionSettings = []string{
	"API_TOKEN_SHA256", "ALLOW_ANONYMOUS_HTTP", "ALLOW_GET", "ALLOWED_PROJECT_IDS", "MAX_INSTANCES",
	"DRY_RUN", "RULES_FILE", "PROJECT_RULES", "MAX_RETRIES", "MAX_CONCURRENCY", "RATE_LIMIT",
	"SKIP_INVALID", "VERIFY", "KEEP_SECURITY_GROUPS", "ROLE_ARN", "ROLE_SESSION_NAME", "ROLE_DURATION",
	"ROLE_EXTERNAL_ID", "CVM_ENDPOINT", "SIGNATURE_METHOD",
}

var stageName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// loadConfig reads the deploy's environment and the function's settings file.
func loadConfig(getenv func(string) string, settingsPath, zipPath string, dryRun bool) (config, error) {
	c := config{
		Stage:      getenv("STAGE"),
		Region:     getenv("REGION"),
		RoleName:   roleName,
		Poll:       3 * time.Second,
		PolicyName: policyName,
		ZipPath:    zipPath,
		EventBusID: getenv("EVENT_BUS_ID"),
		// API 3.0 with TC3, stated as serverless.yml states them.
		Env: map[string]string{"CVM_ENDPOINT": "https://cvm.tencentcloudapi.com/", "SIGNATURE_METHOD": "TC3-HMAC-SHA256"},
	}
	if c.Region == "" {
		c.Region = "ap-guangzhou"
	}
	if !stageName.MatchString(c.Stage) {
		return c, fmt.Errorf("STAGE=%q: set STAGE to the stage's name (lower-case letters, digits, -), e.g. STAGE=prod: the function is cvm-project-$STAGE", c.Stage)
	}
	c.FunctionName = "cvm-project-" + c.Stage
	if settingsPath != "" {
		if err := readSettings(settingsPath, c.Env); err != nil {
			return c, err
		}
	}
	if v := getenv("API_TOKEN_SHA256"); v != "" {
		c.Env["API_TOKEN_SHA256"] = v
	}
	if c.Env["API_TOKEN_SHA256"] == "" && c.Env["ALLOW_ANONYMOUS_HTTP"] != "true" {
		return c, errors.New("API_TOKEN_SHA256 is not set: the function URL would answer every call 401 (docs/security.md, \"The token\")")
	}
	if c.rules() && c.EventBusID == "" {
		return c, errors.New("tag rules are configured but EVENT_BUS_ID is not set: the EventBridge rule needs the bus's id (tccli eb ListEventBuses)")
	}
	if !dryRun {
		if _, err := os.Stat(zipPath); err != nil {
			return c, fmt.Errorf("%w (make zip builds it)", err)
		}
	}
	return c, nil
}

// readSettings adds a settings file's KEY=VALUE lines to env.
func readSettings(path string, env map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	known := map[string]bool{}
	for _, k := range functionSettings {
		known[k] = true
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !known[k] {
			names := append([]string(nil), functionSettings...)
			sort.Strings(names)
			return fmt.Errorf("%s:%d: want KEY=VALUE with KEY one of %s", path, n, strings.Join(names, ", "))
		}
		env[k] = strings.Trim(v, `'"`)
	}
	return sc.Err()
}

// rules says whether tag rules are configured.
func (c config) rules() bool { return c.Env["PROJECT_RULES"] != "" || c.Env["RULES_FILE"] != "" }

// actions are the CVM actions the function's policy allows: the moves, the
// reads (verification, which is on by default, and the tag rules), and the
// security groups' restoration with KEEP_SECURITY_GROUPS=true.
func (c config) actions() []string {
	a := []string{"cvm:ModifyInstancesProject"}
	if c.Env["VERIFY"] != "false" || c.rules() {
		a = append(a, "cvm:DescribeInstances")
	}
	if c.Env["KEEP_SECURITY_GROUPS"] == "true" {
		a = append(a, "cvm:ModifyInstancesAttribute")
	}
	return a
}
