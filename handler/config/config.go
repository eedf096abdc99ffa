package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"scf-cvm-project/cvm"
	"scf-cvm-project/cvm/ratelimit"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/guard"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/signer"
	"strconv"
	"strings"
	"time"
)

// The environment variables of the endpoint and the default region.
const (
	EnvEndpoint        = "CVM_ENDPOINT"
	EnvTagEndpoint     = "TAG_ENDPOINT" // the Tag API (KEEP_SECURITY_GROUPS' records): default cvm.TagEndpoint
	EnvSignatureMethod = "SIGNATURE_METHOD"
	EnvRegion          = "TENCENTCLOUD_REGION"
)

// Config is the function's settings, read once by Load: everything but
// the credential providers' own variables (credentials.FromEnv reads those).
type Config struct {
	Endpoint        string        // CVM_ENDPOINT
	TagEndpoint     string        // TAG_ENDPOINT
	SignatureMethod signer.Method // SIGNATURE_METHOD
	DefaultRegion   string        // TENCENTCLOUD_REGION, set by SCF
	Security        guard.Security
	Tuning          Tuning
	Verify          Verify       // VERIFY, KEEP_SECURITY_GROUPS
	Rules           []rules.Rule // RULES_FILE or PROJECT_RULES; nil when neither is set
	Account         Account      // RECONCILE_REGIONS, the fan-out's
	// Secrets are the configured secrets (API_TOKEN), masked in log lines.
	Secrets []string
}

// Load reads every setting. An unset or blank variable takes its default;
// every malformed one is reported, joined, in the error (which never
// repeats a secret's value). The Config returned with an error is not to
// be used: the function then refuses every invocation
// (InternalError.InvalidConfig) rather than run half-configured.
func Load(getenv func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	c := Config{
		DefaultRegion: strings.TrimSpace(getenv(EnvRegion)),
		Secrets:       []string{getenv(guard.EnvAPIToken)},
	}
	var errs []error
	var err error
	if c.SignatureMethod, c.Endpoint, err = endpoint(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.TagEndpoint = strings.TrimSpace(getenv(EnvTagEndpoint)); c.TagEndpoint == "" {
		c.TagEndpoint = cvm.TagEndpoint
	}
	if _, err := cvm.NewService("tag", cvm.TagVersion, c.TagEndpoint, signer.TC3HmacSHA256, nil); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvTagEndpoint, err))
	}
	if c.Tuning, err = ReadTuning(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Verify, err = ReadVerify(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Security, err = guard.FromEnv(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Rules, err = readRules(getenv, readFile, c.Security); err != nil {
		errs = append(errs, err)
	}
	if c.Account, err = ReadAccount(getenv); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// NewClient returns the CVM client of c, tuned, sending through httpClient.
func (c Config) NewClient(httpClient cvm.Doer, logger *slog.Logger) (*cvm.Client, error) {
	client, err := cvm.New(c.Endpoint, c.SignatureMethod, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", EnvEndpoint, EnvSignatureMethod, err)
	}
	client.Logger = logger
	c.Tuning.Apply(client)
	return client, nil
}

// NewTagClient returns the Tag API's client of c (TC3-HMAC-SHA256, or the
// v1 method c names for API 3.0), tuned as the CVM client is.
func (c Config) NewTagClient(httpClient cvm.Doer, logger *slog.Logger) (*cvm.Client, error) {
	method := c.SignatureMethod
	if method == "" || strings.HasSuffix(c.Endpoint, cvm.LegacyPath) {
		method = signer.TC3HmacSHA256
	}
	client, err := cvm.NewService("tag", cvm.TagVersion, c.TagEndpoint, method, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvTagEndpoint, err)
	}
	client.Logger = logger
	c.Tuning.Apply(client)
	return client, nil
}

// endpoint reads SIGNATURE_METHOD and CVM_ENDPOINT. Neither set: API 3.0
// (cvm.API3Endpoint) with TC3-HMAC-SHA256. Only a method set: API 3.0's
// endpoint, which takes the v1 methods too; the legacy endpoint is used
// only when CVM_ENDPOINT names it. Only an endpoint set: TC3-HMAC-SHA256,
// or HmacSHA256 when it is a legacy one (a path of /v2/index.php), which
// does not speak TC3.
func endpoint(getenv func(string) string) (signer.Method, string, error) {
	endpoint := strings.TrimSpace(getenv(EnvEndpoint))
	if endpoint == "" {
		endpoint = cvm.API3Endpoint
	}
	method := signer.TC3HmacSHA256
	if s := strings.TrimSpace(getenv(EnvSignatureMethod)); s != "" {
		m, err := signer.ParseMethod(s)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", EnvSignatureMethod, err)
		}
		method = m
	} else if u, err := url.Parse(endpoint); err == nil && u.Path == cvm.LegacyPath {
		method = signer.HmacSHA256
	}
	if _, err := cvm.New(endpoint, method, nil); err != nil { // the same checks as the client's
		return "", "", fmt.Errorf("%s/%s: %w", EnvEndpoint, EnvSignatureMethod, err)
	}
	return method, endpoint, nil
}

// NewHTTPClient returns the one client that serves every invocation of a
// warm instance, so consecutive calls reuse a kept-alive connection. It has
// no overall timeout: each call's context carries its deadline.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
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

// ReadTuning reads the tuning variables; an empty one takes its default,
// a bad one is an error naming it.
func ReadTuning(getenv func(string) string) (Tuning, error) {
	t := Tuning{MaxRetries: DefaultMaxRetries, MaxConcurrency: DefaultMaxConcurrency, RateLimit: DefaultRateLimit}
	for _, v := range []struct {
		name   string
		dst    *int
		lo, hi int
	}{{EnvMaxRetries, &t.MaxRetries, 0, 10}, {EnvMaxConcurrency, &t.MaxConcurrency, 1, 100}} {
		if s := strings.TrimSpace(getenv(v.name)); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < v.lo || n > v.hi {
				return Tuning{}, fmt.Errorf("%s=%q: want an integer from %d to %d", v.name, s, v.lo, v.hi)
			}
			*v.dst = n
		}
	}
	if s := strings.TrimSpace(getenv(EnvRateLimit)); s != "" {
		r, perr := strconv.ParseFloat(s, 64)
		if perr != nil || math.IsNaN(r) || r < 0 || r > 1000 {
			return Tuning{}, fmt.Errorf("%s=%q: want requests a second, from 0 (no limit) to 1000", EnvRateLimit, s)
		}
		t.RateLimit = r
	}
	if s := strings.TrimSpace(getenv(EnvSkipInvalid)); s != "" {
		b, perr := strconv.ParseBool(s)
		if perr != nil {
			return Tuning{}, fmt.Errorf("%s=%q: want true or false", EnvSkipInvalid, s)
		}
		t.SkipInvalid = b
	}
	return t, nil
}

// Apply sets the retries and the rate on c. Throttles (RequestLimitExceeded*,
// HTTP 429) are retried until the deadline rule stops them
// (as cvm.New's policy has them); other retryable failures get
// MaxRetries. Each action is paced at its own adaptive rate
// (ratelimit.ActionRates: RATE_LIMIT for ModifyInstancesProject, the
// documented limits for the others), cut when the API throttles it and
// grown back while it answers. The rates live on the client, which serves
// every invocation of the warm process: they hold across concurrent
// batches and consecutive invocations alike. RATE_LIMIT=0: no client-side
// rate at all (the API's own limit still applies).
func (t Tuning) Apply(c *cvm.Client) {
	c.Retry.MaxRetries = t.MaxRetries
	if t.RateLimit == 0 {
		c.Rates = nil
		return
	}
	c.Rates = ratelimit.NewActionRates(map[string]float64{"ModifyInstancesProject": t.RateLimit})
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

// ReadVerify reads VERIFY and KEEP_SECURITY_GROUPS; an empty one takes its
// default, a bad one is an error naming it.
func ReadVerify(getenv func(string) string) (Verify, error) {
	v := Verify{Enabled: true}
	var errs []error
	for _, f := range []struct {
		name string
		dst  *bool
	}{{EnvVerify, &v.Enabled}, {EnvKeepSecurityGroups, &v.KeepSecurityGroups}} {
		s := strings.TrimSpace(getenv(f.name))
		if s == "" {
			continue
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", f.name, s))
			continue
		}
		*f.dst = b
	}
	if err := errors.Join(errs...); err != nil {
		return Verify{}, err
	}
	if v.KeepSecurityGroups && !v.Enabled {
		return Verify{}, fmt.Errorf("%s=true needs %s=true: the groups are read before the move and associated again once it is confirmed", EnvKeepSecurityGroups, EnvVerify)
	}
	return v, nil
}

// The settings of a whole account: the regions a reconciliation covers,
// and how the function hands regions to invocations of itself. SCF sets
// SCF_FUNCTIONNAME and SCF_NAMESPACE (users cannot set variables that
// begin with SCF_); INVOKE_ENDPOINT is for tests on loopback.
const (
	EnvInvokeEndpoint = "INVOKE_ENDPOINT"
	EnvFunctionName   = "SCF_FUNCTIONNAME"
	EnvNamespace      = "SCF_NAMESPACE"
)

// Account is what the function knows of the account beyond one region.
type Account struct {
	// Regions, or AllRegions ("*"), is RECONCILE_REGIONS: what a
	// reconciliation covers when its request names no Region nor Regions.
	Regions    []string
	AllRegions bool
	// InvokeEndpoint is the SCF API (INVOKE_ENDPOINT; cvm.SCFEndpoint);
	// FunctionName and Namespace the function itself, which a fan-out
	// invokes ("": no fan-out).
	InvokeEndpoint          string
	FunctionName, Namespace string
}

// ReadAccount reads RECONCILE_REGIONS, INVOKE_ENDPOINT, SCF_FUNCTIONNAME
// and SCF_NAMESPACE.
func ReadAccount(getenv func(string) string) (Account, error) {
	a := Account{
		InvokeEndpoint: strings.TrimSpace(getenv(EnvInvokeEndpoint)),
		FunctionName:   strings.TrimSpace(getenv(EnvFunctionName)),
		Namespace:      strings.TrimSpace(getenv(EnvNamespace)),
	}
	if a.InvokeEndpoint == "" {
		a.InvokeEndpoint = cvm.SCFEndpoint
	}
	if _, err := cvm.NewService("scf", cvm.SCFVersion, a.InvokeEndpoint, signer.TC3HmacSHA256, nil); err != nil {
		return a, fmt.Errorf("%s: %w", EnvInvokeEndpoint, err)
	}
	if s := strings.TrimSpace(getenv(rules.EnvReconcileRegions)); s != "" {
		var err *answer.Error
		if a.Regions, a.AllRegions, err = request.ParseRegions(rules.EnvReconcileRegions, s); err != nil {
			return a, errors.New(err.Message)
		}
	}
	return a, nil
}

// NewSCFClient returns the SCF API's client of c (TC3-HMAC-SHA256),
// tuned as the CVM client is: the fan-out's Invoke goes through the one
// call path.
func (c Config) NewSCFClient(httpClient cvm.Doer, logger *slog.Logger) (*cvm.Client, error) {
	client, err := cvm.NewService("scf", cvm.SCFVersion, c.Account.InvokeEndpoint, signer.TC3HmacSHA256, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvInvokeEndpoint, err)
	}
	client.Logger = logger
	c.Tuning.Apply(client)
	return client, nil
}

// maxRulesFile bounds what is read of RULES_FILE.
const maxRulesFile = 1 << 20

// readRules reads the configured rules. Setting both RULES_FILE and
// PROJECT_RULES, a file that cannot be read, a bad rule set, or a rule
// whose project ALLOWED_PROJECT_IDS forbids (security) is an error: the
// function refuses to run rather than run with rules other than the ones
// meant.
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
	if err := security.AllowRuleProjects(rules.IDs(set)); err != nil { // named projects: once resolved
		return nil, errors.New(where + ": " + err.Message)
	}
	return set, nil
}
