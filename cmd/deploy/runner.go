package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

// call is one tccli call: `tccli <Service> <Action> --region <region> --<Param> <value>...`.
type call struct {
	Service, Action string
	Params          map[string]any // values as JSON has them: string, number, bool, object, array
}

// runner makes (or only prints) calls and gives back their answers (the
// API's Response object).
type runner interface {
	do(ctx context.Context, region string, c call) (json.RawMessage, error)
}

// apiError is a call the API refused.
type apiError struct{ Code, Message string }

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// notFound says whether err is the API saying the resource does not exist.
func notFound(err error) bool {
	var e *apiError
	return errors.As(err, &e) && (strings.HasPrefix(e.Code, "ResourceNotFound") || strings.Contains(e.Code, "NotExist"))
}

// secretEnv are the function's settings a printed call does not show.
var secretEnv = map[string]bool{"API_TOKEN_SHA256": true, "API_TOKEN": true, "ROLE_EXTERNAL_ID": true}

// args are the command line of c: the parameters in name order, strings as
// they are, other values as JSON (tccli parses each by its model's type).
func (c call) args(region string) []string {
	out := []string{c.Service, c.Action, "--region", region}
	names := make([]string, 0, len(c.Params))
	for k := range c.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out = append(out, "--"+k, value(c.Params[k]))
	}
	return out
}

func value(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // maps, slices and scalars of plain values
	return strings.TrimSuffix(b.String(), "\n")
}

// printable is c with what a terminal must not show replaced: the code
// package, and the secret settings in an Environment.
func (c call) printable() call {
	p := call{Service: c.Service, Action: c.Action, Params: map[string]any{}}
	for k, v := range c.Params {
		switch k {
		case "ZipFile":
			v = "<base64 of the code package>"
		case "Code":
			v = map[string]any{"ZipFile": "<base64 of the code package>"}
		case "Environment":
			v = maskedEnvironment(v)
		}
		p.Params[k] = v
	}
	return p
}

func maskedEnvironment(v any) any {
	env, ok := v.(map[string]any)
	if !ok {
		return v
	}
	vars, _ := env["Variables"].([]map[string]string)
	masked := make([]map[string]string, len(vars))
	for i, kv := range vars {
		masked[i] = map[string]string{"Key": kv["Key"], "Value": kv["Value"]}
		if secretEnv[kv["Key"]] {
			masked[i]["Value"] = "<not shown>"
		}
	}
	return map[string]any{"Variables": masked}
}

// shellLine is a command line as a shell would take it.
func shellLine(args []string) string {
	var b strings.Builder
	b.WriteString("tccli")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tccliRunner runs tccli.
type tccliRunner struct {
	command string
	out     io.Writer
}

// viaFile are the actions whose parameters go in a file
// (--cli-input-json file://...): a code package is too large for one
// argument (Linux takes 128 KiB at most).
var viaFile = map[string]bool{"CreateFunction": true, "UpdateFunctionCode": true}

var sdkError = regexp.MustCompile(`code:\s*([A-Za-z0-9_.]+)\s+message:\s*(.*?)(?:\s+requestId:|$)`)

func (r *tccliRunner) do(ctx context.Context, region string, c call) (json.RawMessage, error) {
	fmt.Fprintln(r.out, "+", shellLine(c.printable().args(region)))
	args := c.args(region)
	if viaFile[c.Action] {
		f, err := os.CreateTemp("", "deploy-*.json")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		if err := json.NewEncoder(f).Encode(c.Params); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		args = []string{c.Service, c.Action, "--region", region, "--cli-input-json", "file://" + f.Name()}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, r.command, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		text := strings.TrimSpace(stderr.String() + " " + stdout.String())
		if m := sdkError.FindStringSubmatch(text); m != nil {
			return nil, &apiError{Code: m[1], Message: m[2]}
		}
		return nil, fmt.Errorf("tccli %s %s: %w: %s", c.Service, c.Action, err, text)
	}
	return json.RawMessage(stdout.Bytes()), nil
}

// dryRunner prints the calls and answers the reads as if nothing existed
// yet (a first deploy) or everything did (a redeploy).
type dryRunner struct {
	out      io.Writer
	existing bool
	calls    []call // every call printed, for the tests
}

func (r *dryRunner) do(_ context.Context, region string, c call) (json.RawMessage, error) {
	fmt.Fprintln(r.out, "+", shellLine(c.printable().args(region)))
	r.calls = append(r.calls, c)
	answer := func(v any) (json.RawMessage, error) {
		b, err := json.Marshal(v)
		return b, err
	}
	absent := &apiError{Code: "ResourceNotFound", Message: "(dry run: assumed absent)"}
	switch c.Action {
	case "GetCallerIdentity":
		return answer(map[string]any{"AccountId": "<AccountId>"})
	case "GetRole":
		if !r.existing {
			return nil, absent
		}
		return answer(map[string]any{"RoleInfo": map[string]any{"RoleName": c.Params["RoleName"]}})
	case "ListPolicies", "ListAttachedRolePolicies":
		if !r.existing {
			return answer(map[string]any{"List": []any{}})
		}
		return answer(map[string]any{"List": []any{map[string]any{"PolicyName": policyName, "PolicyId": 1}}})
	case "GetFunction":
		if !r.existing && !r.made("CreateFunction") {
			return nil, absent
		}
		return answer(map[string]any{"Status": "Active"})
	case "ListTriggers":
		if !r.existing {
			return answer(map[string]any{"Triggers": []any{}})
		}
		return answer(map[string]any{"Triggers": []any{
			map[string]any{"TriggerName": timerName, "Type": "timer"},
			map[string]any{"TriggerName": urlName, "Type": "http"},
		}})
	case "ListRules":
		if !r.existing {
			return answer(map[string]any{"Rules": []any{}})
		}
		return answer(map[string]any{"Rules": []any{map[string]any{"RuleName": ruleName, "RuleId": "<RuleId>"}}})
	case "CreateRule":
		return answer(map[string]any{"RuleId": "<RuleId>"})
	case "ListTargets":
		if !r.existing {
			return answer(map[string]any{"Targets": []any{}})
		}
		return answer(map[string]any{"Targets": []any{map[string]any{"Type": "scf", "TargetDescription": map[string]any{"ResourceDescription": "<this function>"}}}})
	}
	return answer(map[string]any{"RequestId": "<dry run>"})
}

// made says whether a call of action was printed.
func (r *dryRunner) made(action string) bool {
	for _, c := range r.calls {
		if c.Action == action {
			return true
		}
	}
	return false
}
