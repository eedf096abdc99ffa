// Command deploy creates or updates the function's resources on Tencent
// Cloud with tccli, idempotently: the execution role and its least-privilege
// policy (CAM), the function from dist/main.zip with its environment (SCF),
// the timer that reconciles the tag rules (created disabled), the function
// URL, and, when tag rules are configured, the EventBridge rule that
// delivers tag events to the function. It prints each call before making
// it; with -dry-run it only prints, and needs neither keys nor tccli.
//
//	STAGE=prod API_TOKEN_SHA256=<digest> go run ./cmd/deploy [-settings deploy/settings.env]
//	STAGE=prod go run ./cmd/deploy -dry-run
//
// docs/deploying.md says what each step does and what it needs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "print the calls, make none (no keys, no tccli needed)")
	existing := fs.Bool("assume-existing", false, "with -dry-run: plan as if every resource existed already (the update path)")
	settings := fs.String("settings", getenv("SETTINGS_FILE"), "`file` of the function's settings, KEY=VALUE lines (deploy/settings.env.example)")
	zipPath := fs.String("zip", "dist/main.zip", "the code package (make zip)")
	tccli := fs.String("tccli", "tccli", "the tccli command")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "deploy creates or updates the function's CAM role and policy, the function, its timer,\n"+
			"its URL and (with tag rules) its EventBridge rule, with tccli. The environment:\n"+
			"STAGE (required), REGION (ap-guangzhou), API_TOKEN_SHA256, EVENT_BUS_ID (with tag rules).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || (*existing && !*dryRun) {
		fs.Usage()
		return 2
	}
	cfg, err := loadConfig(getenv, *settings, *zipPath, *dryRun)
	if err != nil {
		fmt.Fprintln(stderr, "deploy:", err)
		return 2
	}
	var r runner = &tccliRunner{command: *tccli, out: stdout}
	if !*dryRun {
		if _, err := exec.LookPath(*tccli); err != nil {
			fmt.Fprintf(stderr, "deploy: %v: install tccli (pip install tccli; tccli configure), or see the calls with -dry-run (docs/deploying.md)\n", err)
			return 2
		}
	}
	if *dryRun {
		r = &dryRunner{out: stdout, existing: *existing}
		fmt.Fprintf(stdout, "# dry run: the calls a deploy of %s makes (%s), none made\n", cfg.FunctionName, map[bool]string{false: "a first deploy", true: "a redeploy"}[*existing])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := deploy(ctx, r, cfg); err != nil {
		fmt.Fprintln(stderr, "deploy:", err)
		return 1
	}
	if *dryRun {
		fmt.Fprintf(stdout, "# dry run: no call made\n")
		return 0
	}
	fmt.Fprintf(stdout, "# %s deployed in %s\n", cfg.FunctionName, cfg.Region)
	return 0
}
