package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/signer"
	"strconv"
	"strings"
)

// The environment variables of the endpoint; the default region is
// credentials.EnvRegion's, which STS calls are signed for too.
const (
	EnvEndpoint        = "CVM_ENDPOINT"
	EnvTagEndpoint     = "TAG_ENDPOINT" // the Tag API (KEEP_SECURITY_GROUPS' records): default cvm.TagEndpoint
	EnvSignatureMethod = "SIGNATURE_METHOD"
)

// Config is the function's settings as Load reads them: everything but
// the credential providers' own variables (credentials.FromEnv reads those).
type Config struct {
	// CVM, Tags and SCF are the clients of the APIs the settings name
	// (CVM_ENDPOINT and SIGNATURE_METHOD, TAG_ENDPOINT, INVOKE_ENDPOINT),
	// tuned: building them is what checks those settings.
	CVM, Tags, SCF *cvm.Client
	DefaultRegion  string // TENCENTCLOUD_REGION, set by SCF
	Security       guard.Security
	Tuning         Tuning
	Verify         Verify       // VERIFY, KEEP_SECURITY_GROUPS
	Rules          []rules.Rule // RULES_FILE or PROJECT_RULES; nil when neither is set
	Account        Account      // RECONCILE_REGIONS, the fan-out's
	// Secrets are the configured secrets (API_TOKEN), masked in log lines.
	Secrets []string
}

// Load reads every setting and builds the clients (sending through
// httpClient, logging to logger). Unset or blank takes the default; every
// malformed setting is in the joined error, without secrets' values. With an
// error, only Config.Secrets is to be used: every invocation is refused.
func Load(getenv func(string) string, readFile func(string) ([]byte, error), httpClient credentials.Doer, logger *slog.Logger) (Config, error) {
	c := Config{
		DefaultRegion: strings.TrimSpace(getenv(credentials.EnvRegion)),
		Account:       Account{FunctionName: strings.TrimSpace(getenv(credentials.EnvFunctionName)), Namespace: strings.TrimSpace(getenv(EnvNamespace))},
		Secrets:       []string{getenv(guard.EnvAPIToken)},
	}
	var errs []error
	var err error
	if c.CVM, err = cvmClient(getenv, httpClient); err != nil {
		errs = append(errs, err)
	}
	// The Tag API takes TC3-HMAC-SHA256, or the v1 method named for API 3.0.
	method := signer.TC3HmacSHA256
	if c.CVM != nil && !strings.HasSuffix(c.CVM.Endpoint(), cvm.LegacyPath) {
		method = c.CVM.Method()
	}
	tagEndpoint := cmp.Or(strings.TrimSpace(getenv(EnvTagEndpoint)), cvm.TagEndpoint)
	if c.Tags, err = cvm.NewService("tag", cvm.TagVersion, tagEndpoint, method, httpClient); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvTagEndpoint, err))
	}
	if c.Tuning, c.Verify, err = readTuning(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Security, err = guard.FromEnv(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Rules, err = readRules(getenv, readFile, c.Security); err != nil {
		errs = append(errs, err)
	}
	scfEndpoint := cmp.Or(strings.TrimSpace(getenv(EnvInvokeEndpoint)), cvm.SCFEndpoint)
	if c.SCF, err = cvm.NewService("scf", cvm.SCFVersion, scfEndpoint, signer.TC3HmacSHA256, httpClient); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvInvokeEndpoint, err))
	}
	if s := strings.TrimSpace(getenv(rules.EnvReconcileRegions)); s != "" {
		var perr *answer.Error
		if c.Account.Regions, c.Account.AllRegions, perr = request.ParseRegions(rules.EnvReconcileRegions, s); perr != nil {
			errs = append(errs, errors.New(perr.Message))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	// Throttles are retried until the deadline (cvm.New's policy), other
	// retryable failures MAX_RETRIES times; RATE_LIMIT=0 sets no client-side
	// rate (docs/retries-and-limits.md).
	for _, client := range []*cvm.Client{c.CVM, c.Tags, c.SCF} {
		client.Logger, client.Retry.MaxRetries, client.Rates = logger, c.Tuning.MaxRetries, nil
		if c.Tuning.RateLimit > 0 {
			client.Rates = &ratelimit.ActionRates{Ceilings: map[string]float64{"ModifyInstancesProject": c.Tuning.RateLimit}}
		}
	}
	return c, nil
}

// cvmClient reads CVM_ENDPOINT (default cvm.API3Endpoint) and
// SIGNATURE_METHOD (default TC3-HMAC-SHA256, or HmacSHA256 for a legacy
// endpoint, path cvm.LegacyPath, which does not speak TC3) into the CVM client.
func cvmClient(getenv func(string) string, httpClient credentials.Doer) (*cvm.Client, error) {
	endpoint := cmp.Or(strings.TrimSpace(getenv(EnvEndpoint)), cvm.API3Endpoint)
	method := signer.TC3HmacSHA256
	if s := strings.TrimSpace(getenv(EnvSignatureMethod)); s != "" {
		m, err := signer.ParseMethod(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSignatureMethod, err)
		}
		method = m
	} else if u, err := url.Parse(endpoint); err == nil && u.Path == cvm.LegacyPath {
		method = signer.HmacSHA256
	}
	client, err := cvm.New(endpoint, method, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", EnvEndpoint, EnvSignatureMethod, err)
	}
	return client, nil
}

// The environment variables that tune retries, throughput and partial
// failures, with their defaults.
const (
	EnvMaxRetries     = "MAX_RETRIES"     // retries after a call's first attempt: 0 to 10, default 3
	EnvMaxConcurrency = "MAX_CONCURRENCY" // batches in flight: 1 to 100, default 4
	EnvRateLimit      = "RATE_LIMIT"      // requests a second to the API: 0 (no limit) to 1000, default 10
	EnvSkipInvalid    = "SKIP_INVALID"    // isolate offending instances when a request does not say: default false

	DefaultMaxRetries     = 3
	DefaultMaxConcurrency = 4
	DefaultRateLimit      = 10 // ModifyInstancesProject's documented limit
)

// Tuning is what the four variables set.
type Tuning struct {
	MaxRetries     int
	MaxConcurrency int
	RateLimit      float64 // ModifyInstancesProject's ceiling, requests a second, burst 1; 0: no client-side limit
	SkipInvalid    bool
}

// The environment variables of verification.
const (
	EnvVerify             = "VERIFY"               // read the instances before and after a move: default true
	EnvKeepSecurityGroups = "KEEP_SECURITY_GROUPS" // associate again the groups a move detached: default false
)

// Verify says how a move is checked: Enabled reads the named instances
// before the move and confirms each operation after it (VERIFY);
// KeepSecurityGroups associates again the security groups a confirmed move
// detached (KEEP_SECURITY_GROUPS, which needs VERIFY).
type Verify struct {
	Enabled            bool
	KeepSecurityGroups bool
}

// readTuning reads the variables of Tuning and Verify; an empty one takes
// its default, each bad one is an error naming it.
func readTuning(getenv func(string) string) (Tuning, Verify, error) {
	t := Tuning{MaxRetries: DefaultMaxRetries, MaxConcurrency: DefaultMaxConcurrency, RateLimit: DefaultRateLimit}
	v := Verify{Enabled: true}
	var errs []error
	for _, f := range []struct {
		name   string
		dst    *int
		lo, hi int
	}{{EnvMaxRetries, &t.MaxRetries, 0, 10}, {EnvMaxConcurrency, &t.MaxConcurrency, 1, 100}} {
		if s := strings.TrimSpace(getenv(f.name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < f.lo || n > f.hi {
				errs = append(errs, fmt.Errorf("%s=%q: want an integer from %d to %d", f.name, s, f.lo, f.hi))
			}
			*f.dst = n
		}
	}
	if s := strings.TrimSpace(getenv(EnvRateLimit)); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1000 {
			errs = append(errs, fmt.Errorf("%s=%q: want requests a second, from 0 (no limit) to 1000", EnvRateLimit, s))
		}
		t.RateLimit = r
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{EnvSkipInvalid, &t.SkipInvalid}, {EnvVerify, &v.Enabled}, {EnvKeepSecurityGroups, &v.KeepSecurityGroups}} {
		if s := strings.TrimSpace(getenv(f.name)); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want true or false", f.name, s))
				continue // a bad VERIFY or KEEP_SECURITY_GROUPS keeps its default, so no rule below is judged on it
			}
			*f.dst = b
		}
	}
	// Another variable's error does not hide this one (every bad one is reported).
	if v.KeepSecurityGroups && !v.Enabled {
		errs = append(errs, fmt.Errorf("%s=true needs %s=true: the groups are read before the move and associated again once it is confirmed", EnvKeepSecurityGroups, EnvVerify))
	}
	return t, v, errors.Join(errs...)
}

// The settings of a whole account: the regions a reconciliation covers,
// and how the function hands regions to invocations of itself. SCF sets
// SCF_FUNCTIONNAME (credentials.EnvFunctionName) and SCF_NAMESPACE (users
// cannot set variables that begin with SCF_); INVOKE_ENDPOINT is for tests
// on loopback.
const (
	EnvInvokeEndpoint = "INVOKE_ENDPOINT"
	EnvNamespace      = "SCF_NAMESPACE"
)

// Account is what the function knows of the account beyond one region.
type Account struct {
	// Regions, or AllRegions ("*"), is RECONCILE_REGIONS: what a
	// reconciliation covers when its request names no Region nor Regions.
	Regions    []string
	AllRegions bool
	// FunctionName and Namespace are the function itself, which a
	// fan-out invokes ("": no fan-out).
	FunctionName, Namespace string
}

// maxRulesFile bounds what is read of RULES_FILE.
const maxRulesFile = 1 << 20

// readRules reads the configured rules (RULES_FILE or PROJECT_RULES, not
// both). An unreadable file, a bad rule set, or a project ALLOWED_PROJECT_IDS
// forbids is an error: the function refuses to run with other rules than meant.
func readRules(getenv func(string) string, readFile func(string) ([]byte, error), security guard.Security) ([]rules.Rule, error) {
	path := strings.TrimSpace(getenv(rules.EnvRulesFile))
	inline := strings.TrimSpace(getenv(rules.EnvProjectRules))
	var data []byte
	var where string
	switch {
	case path != "" && inline != "":
		return nil, fmt.Errorf("%s and %s are both set; set one of them", rules.EnvRulesFile, rules.EnvProjectRules)
	case path != "":
		b, err := readFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rules.EnvRulesFile, err)
		}
		if len(b) > maxRulesFile {
			return nil, fmt.Errorf("%s %s is %d bytes; at most %d are read", rules.EnvRulesFile, answer.Quote(path), len(b), maxRulesFile)
		}
		data, where = b, rules.EnvRulesFile+" "+answer.Quote(path)
	case inline != "":
		data, where = []byte(inline), rules.EnvProjectRules
	default:
		return nil, nil
	}
	set, err := rules.Parse(where, data)
	if err != nil {
		return nil, errors.New(err.Message)
	}
	if err := rules.AllowProjects(set, false, security.AllowProject); err != nil { // named projects: once resolved
		return nil, errors.New(where + ": " + err.Message)
	}
	return set, nil
}
