package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// The trust policy that lets SCF assume the execution role, and the
// EventBridge pattern of the events that can change an instance's tags.
const (
	trustPolicy  = `{"version":"2.0","statement":[{"action":"name/sts:AssumeRole","effect":"allow","principal":{"service":["scf.qcloud.com"]}}]}`
	eventPattern = `{"source":["cvm.cloud.tencent","tag.cloud.tencent"],"type":["cvm:CloudEvent:ApiCall","cvm:CloudEvent:ConsoleCall","tag:CloudEvent:ApiCall","tag:CloudEvent:ConsoleCall"]}`
	description  = "cvm-project: moves CVM instances into a project"
)

// deployer makes a deploy's calls in order, each step reading what exists
// first, so that a deploy can run again and only update.
type deployer struct {
	r   runner
	cfg config
}

func deploy(ctx context.Context, r runner, cfg config) error {
	d := deployer{r: r, cfg: cfg}
	for _, step := range []func(context.Context) error{d.role, d.policy, d.function, d.triggers, d.eventBridge} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d deployer) call(ctx context.Context, service, action string, params map[string]any, answer any) error {
	raw, err := d.r.do(ctx, d.cfg.Region, call{Service: service, Action: action, Params: params})
	if err != nil || answer == nil {
		return err
	}
	if err := json.Unmarshal(raw, answer); err != nil {
		return fmt.Errorf("tccli %s %s: its answer: %w", service, action, err)
	}
	return nil
}

// role creates the execution role SCF assumes, or sets its trust policy again.
func (d deployer) role(ctx context.Context) error {
	err := d.call(ctx, "cam", "GetRole", map[string]any{"RoleName": d.cfg.RoleName}, nil)
	switch {
	case notFound(err):
		return d.call(ctx, "cam", "CreateRole", map[string]any{
			"RoleName": d.cfg.RoleName, "PolicyDocument": trustPolicy, "Description": description}, nil)
	case err != nil:
		return err
	}
	return d.call(ctx, "cam", "UpdateAssumeRolePolicy", map[string]any{"RoleName": d.cfg.RoleName, "PolicyDocument": trustPolicy}, nil)
}

// policyDocument allows the CVM actions the configuration needs, on the
// account's instances in every region (a request or an event may name
// another region than the function's): an empty region is every region, an
// empty account the policy's own.
func (d deployer) policyDocument() string {
	statements := []map[string]any{}
	var writes []string
	for _, a := range d.cfg.actions() {
		if a == "cvm:DescribeInstances" {
			statements = append(statements, map[string]any{"effect": "allow", "action": []string{a}, "resource": []string{"*"}})
			continue
		}
		writes = append(writes, a)
	}
	statements = append([]map[string]any{{"effect": "allow", "action": writes, "resource": []string{"qcs::cvm:::instance/*"}}}, statements...)
	var tagActions []string
	if d.cfg.Env["KEEP_SECURITY_GROUPS"] == "true" {
		// The groups are kept on the instance itself, as the function's own tag, while it moves.
		tagActions = append(tagActions, "tag:AttachResourcesTag", "tag:DetachResourcesTag")
	}
	if d.cfg.rules() || strings.Contains(d.cfg.Env["ALLOWED_PROJECT_IDS"], "name:") {
		tagActions = append(tagActions, "tag:DescribeProjects") // projects by name (docs/account.md)
	}
	if len(tagActions) > 0 {
		statements = append(statements, map[string]any{"effect": "allow", "action": tagActions, "resource": []string{"*"}})
	}
	if d.cfg.rules() {
		// A whole account: every region ("Regions": "*"), and the fan-out to
		// invocations of the function itself (docs/account.md).
		statements = append(statements,
			map[string]any{"effect": "allow", "action": []string{"cvm:DescribeRegions"}, "resource": []string{"*"}},
			map[string]any{"effect": "allow", "action": []string{"scf:InvokeFunction"},
				"resource": []string{"qcs::scf:" + d.cfg.Region + "::namespace/default/function/" + d.cfg.FunctionName}})
	}
	b, _ := json.Marshal(map[string]any{"version": "2.0", "statement": statements})
	return string(b)
}

// policy creates the role's policy or updates its document, then attaches
// it to the role unless it is attached already.
func (d deployer) policy(ctx context.Context) error {
	var listed struct{ List []struct{ PolicyName string } }
	if err := d.call(ctx, "cam", "ListPolicies", map[string]any{"Keyword": d.cfg.PolicyName, "Scope": "Local", "Page": 1, "Rp": 200}, &listed); err != nil {
		return err
	}
	params := map[string]any{"PolicyName": d.cfg.PolicyName, "PolicyDocument": d.policyDocument(), "Description": description}
	action := "CreatePolicy"
	for _, p := range listed.List {
		if p.PolicyName == d.cfg.PolicyName {
			action = "UpdatePolicy"
		}
	}
	if err := d.call(ctx, "cam", action, params, nil); err != nil {
		return err
	}
	var attached struct{ List []struct{ PolicyName string } }
	if err := d.call(ctx, "cam", "ListAttachedRolePolicies", map[string]any{"RoleName": d.cfg.RoleName, "Page": 1, "Rp": 200}, &attached); err != nil {
		return err
	}
	for _, p := range attached.List {
		if p.PolicyName == d.cfg.PolicyName {
			return nil
		}
	}
	return d.call(ctx, "cam", "AttachRolePolicy", map[string]any{"AttachRoleName": d.cfg.RoleName, "PolicyName": d.cfg.PolicyName}, nil)
}

// environment is the function's environment as SCF's API has it.
func (d deployer) environment() map[string]any {
	keys := make([]string, 0, len(d.cfg.Env))
	for k := range d.cfg.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vars := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		vars = append(vars, map[string]string{"Key": k, "Value": d.cfg.Env[k]})
	}
	return map[string]any{"Variables": vars}
}

// MemorySize is the function's memory in MB, as serverless.yml ships it
// (the largest request's peak with a 20% margin; a test checks that the
// two agree).
const MemorySize = 256

// function creates the function from the code package, or updates its code
// and then its configuration, waiting for it to be Active after each.
func (d deployer) function(ctx context.Context) error {
	zip := "<the code package>"
	if b, err := os.ReadFile(d.cfg.ZipPath); err == nil {
		zip = base64.StdEncoding.EncodeToString(b)
	} else if _, dry := d.r.(*dryRunner); !dry {
		return err
	}
	name := d.cfg.FunctionName
	config := map[string]any{
		"FunctionName": name, "Description": description, "MemorySize": MemorySize, "Timeout": 60,
		"Environment": d.environment(), "Role": d.cfg.RoleName,
	}
	err := d.call(ctx, "scf", "GetFunction", map[string]any{"FunctionName": name}, nil)
	switch {
	case notFound(err):
		params := map[string]any{"Code": map[string]any{"ZipFile": zip}, "Handler": "main", "Runtime": "Go1"}
		for k, v := range config {
			params[k] = v
		}
		if err := d.call(ctx, "scf", "CreateFunction", params, nil); err != nil {
			return err
		}
		return d.waitActive(ctx)
	case err != nil:
		return err
	}
	if err := d.call(ctx, "scf", "UpdateFunctionCode", map[string]any{"FunctionName": name, "Handler": "main", "ZipFile": zip}, nil); err != nil {
		return err
	}
	if err := d.waitActive(ctx); err != nil {
		return err
	}
	if err := d.call(ctx, "scf", "UpdateFunctionConfiguration", config, nil); err != nil {
		return err
	}
	return d.waitActive(ctx)
}

// waitActive reads the function until its Status is Active: SCF refuses
// a change to a function that is still Creating or Updating.
func (d deployer) waitActive(ctx context.Context) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var f struct{ Status, StatusDesc string }
		if err := d.call(ctx, "scf", "GetFunction", map[string]any{"FunctionName": d.cfg.FunctionName}, &f); err != nil {
			return err
		}
		switch {
		case f.Status == "Active":
			return nil
		case f.Status != "Creating" && f.Status != "Updating" && f.Status != "Publishing":
			return fmt.Errorf("function %s is %s: %s", d.cfg.FunctionName, f.Status, f.StatusDesc)
		case time.Now().After(deadline):
			return fmt.Errorf("function %s still %s after 3 minutes", d.cfg.FunctionName, f.Status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d.cfg.Poll):
		}
	}
}

// triggers creates the timer (disabled: set the rules, try a dry run, then
// enable it) and the function URL, or updates them; an update leaves the
// timer enabled or disabled as it is.
func (d deployer) triggers(ctx context.Context) error {
	name := d.cfg.FunctionName
	var listed struct {
		Triggers []struct{ TriggerName, Type string }
	}
	if err := d.call(ctx, "scf", "ListTriggers", map[string]any{"FunctionName": name, "Limit": 100}, &listed); err != nil {
		return err
	}
	urlTrigger, haveTimer := "", false
	for _, t := range listed.Triggers {
		switch {
		case t.Type == "timer" && t.TriggerName == timerName:
			haveTimer = true
		case t.Type == "http":
			urlTrigger = t.TriggerName
		}
	}
	timer := map[string]any{"FunctionName": name, "TriggerName": timerName, "Type": "timer", "Qualifier": "$DEFAULT",
		"TriggerDesc": reconcileCron, "CustomArgument": `{"Reconcile":true}`}
	if haveTimer {
		if err := d.call(ctx, "scf", "UpdateTrigger", timer, nil); err != nil {
			return err
		}
	} else {
		timer["Enable"] = "CLOSE"
		if err := d.call(ctx, "scf", "CreateTrigger", timer, nil); err != nil {
			return err
		}
	}
	// The function URL: authType NONE, the bearer token is the check
	// (docs/security.md); on the internet, not in VPCs.
	url := map[string]any{"FunctionName": name, "Type": "http", "Qualifier": "$DEFAULT",
		"TriggerDesc": `{"AuthType":"NONE","NetConfig":{"EnableIntranet":false,"EnableExtranet":true}}`}
	if urlTrigger != "" {
		url["TriggerName"] = urlTrigger
		return d.call(ctx, "scf", "UpdateTrigger", url, nil)
	}
	url["TriggerName"] = urlName
	return d.call(ctx, "scf", "CreateTrigger", url, nil)
}

// eventBridge, with tag rules, creates the rule that delivers tag events to
// the function (or sets its pattern again), and its target.
func (d deployer) eventBridge(ctx context.Context) error {
	if !d.cfg.rules() {
		return nil
	}
	var who struct{ AccountId string }
	if err := d.call(ctx, "sts", "GetCallerIdentity", map[string]any{}, &who); err != nil {
		return err
	}
	bus := d.cfg.EventBusID
	var listed struct {
		Rules []struct{ RuleName, RuleId string }
	}
	if err := d.call(ctx, "eb", "ListRules", map[string]any{"EventBusId": bus, "Limit": 100}, &listed); err != nil {
		return err
	}
	ruleID := ""
	for _, r := range listed.Rules {
		if r.RuleName == ruleName {
			ruleID = r.RuleId
		}
	}
	if ruleID == "" {
		var created struct{ RuleId string }
		if err := d.call(ctx, "eb", "CreateRule", map[string]any{"EventBusId": bus, "RuleName": ruleName, "EventPattern": eventPattern,
			"Enable": true, "Description": description}, &created); err != nil {
			return err
		}
		ruleID = created.RuleId
	} else if err := d.call(ctx, "eb", "UpdateRule", map[string]any{"EventBusId": bus, "RuleId": ruleID, "EventPattern": eventPattern}, nil); err != nil {
		return err
	}
	target := fmt.Sprintf("qcs::scf:%s:uin/%s:namespace/default/function/%s/$LATEST", d.cfg.Region, who.AccountId, d.cfg.FunctionName)
	var targets struct {
		Targets []struct {
			TargetDescription struct{ ResourceDescription string }
		}
	}
	if err := d.call(ctx, "eb", "ListTargets", map[string]any{"EventBusId": bus, "RuleId": ruleID}, &targets); err != nil {
		return err
	}
	for _, t := range targets.Targets {
		if t.TargetDescription.ResourceDescription == target {
			return nil
		}
	}
	return d.call(ctx, "eb", "CreateTarget", map[string]any{"EventBusId": bus, "RuleId": ruleID, "Type": "scf",
		"TargetDescription": map[string]any{"ResourceDescription": target}}, nil)
}
