package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The API models the deploy's calls are checked against. tccli (PyPI) cannot
// be installed on the project's machines, which reach no Python registry;
// Tencent Cloud's Node.js SDK, on npm, is generated from the same API
// definitions as tccli and ships each service's request models
// (<service>_models.d.ts) and actions (<service>_client.d.ts). The test
// fetches it with npm pack, pinned to a version and its integrity, into the
// user's cache, once.
const (
	sdkPackage   = "tencentcloud-sdk-nodejs"
	sdkVersion   = "4.1.313" // 2026-09-15
	sdkIntegrity = "sha512-uhkLV7uGhVJZJ4qbyg2BlgNM48zKMNeuz23RaMbUkL+04Eu4P/ToXBen56hOTmo84lCDuBd1iBQLyZCsqWE5UA=="
)

// apiVersions are the API versions tccli calls by default, per service.
var apiVersions = map[string]string{"cam": "v20190116", "eb": "v20210416", "scf": "v20180416", "sts": "v20180813"}

// models is what the SDK says of the services the deploy uses.
type models struct {
	actions map[string]map[string]string // service → action → its request type
	types   map[string]map[string]tsType // service → type name → its fields (nil: no parameters)
}

// tsType is an interface's fields by name.
type tsType map[string]field

type field struct {
	typ      string // a TypeScript type expression: string, number, boolean, Array<T>, an interface's name
	optional bool
}

var (
	loadOnce   sync.Once
	loaded     *models
	loadFailed error
)

// apiModels returns the SDK's models, fetching the package first if the
// cache does not hold it.
func apiModels(t *testing.T) *models {
	t.Helper()
	loadOnce.Do(func() { loaded, loadFailed = fetchModels() })
	require.NoError(t, loadFailed, "the API models (npm pack %s@%s)", sdkPackage, sdkVersion)
	return loaded
}

func fetchModels() (*models, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "scf-cvm-project", "npm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tgz := filepath.Join(dir, fmt.Sprintf("%s-%s.tgz", sdkPackage, sdkVersion))
	if !intact(tgz) {
		cmd := exec.Command("npm", "pack", "--silent", sdkPackage+"@"+sdkVersion, "--pack-destination", dir)
		cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("npm pack: %w: %s", err, out)
		}
		if !intact(tgz) {
			return nil, fmt.Errorf("%s is not the package whose integrity is %s", tgz, sdkIntegrity)
		}
	}
	return readModels(tgz)
}

// intact says whether path is the pinned package, byte for byte.
func intact(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	sum := sha512.Sum512(b)
	return "sha512-"+base64.StdEncoding.EncodeToString(sum[:]) == sdkIntegrity
}

// readModels reads the services' models and clients out of the package.
func readModels(tgz string) (*models, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	want := map[string]bool{}
	for svc, v := range apiVersions {
		for _, kind := range []string{"models", "client"} {
			want[fmt.Sprintf("package/tencentcloud/services/%s/%s/%s_%s.d.ts", svc, v, svc, kind)] = true
		}
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if want[h.Name] {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			files[h.Name] = string(b)
		}
	}
	m := &models{actions: map[string]map[string]string{}, types: map[string]map[string]tsType{}}
	for svc, v := range apiVersions {
		base := fmt.Sprintf("package/tencentcloud/services/%s/%s/%s_", svc, v, svc)
		client, ok1 := files[base+"client.d.ts"]
		model, ok2 := files[base+"models.d.ts"]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s %s: no models in the package", svc, v)
		}
		m.actions[svc] = parseClient(client)
		m.types[svc] = parseModels(model)
	}
	return m, nil
}

var (
	clientMethod = regexp.MustCompile(`(?m)^    ([A-Z]\w*)\(req\??: (\w+),`)
	iface        = regexp.MustCompile(`(?ms)^export interface (\w+) \{\n(.*?)^\}`)
	nullType     = regexp.MustCompile(`(?m)^export type (\w+) = null;`)
	member       = regexp.MustCompile(`(?m)^    (\w+)(\?)?: (.+);$`)
)

func parseClient(src string) map[string]string {
	out := map[string]string{}
	for _, m := range clientMethod.FindAllStringSubmatch(src, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func parseModels(src string) map[string]tsType {
	out := map[string]tsType{}
	for _, m := range nullType.FindAllStringSubmatch(src, -1) {
		out[m[1]] = tsType{}
	}
	for _, m := range iface.FindAllStringSubmatch(src, -1) {
		fields := tsType{}
		for _, f := range member.FindAllStringSubmatch(m[2], -1) {
			fields[f[1]] = field{typ: f[3], optional: f[2] == "?"}
		}
		out[m[1]] = fields
	}
	return out
}

// check lists what is wrong with a call, by the models: its service, its
// action, each parameter's name and type (nested ones too), and the
// required parameters it lacks.
func (m *models) check(c call) []string {
	actions, ok := m.actions[c.Service]
	if !ok {
		return []string{fmt.Sprintf("tccli %s: no such service in the models", c.Service)}
	}
	request, ok := actions[c.Action]
	if !ok {
		return []string{fmt.Sprintf("tccli %s %s: no such action", c.Service, c.Action)}
	}
	b, err := json.Marshal(c.Params)
	if err != nil {
		return []string{err.Error()}
	}
	var params any
	_ = json.Unmarshal(b, &params)
	var problems []string
	m.checkValue(c.Service, fmt.Sprintf("tccli %s %s", c.Service, c.Action), request, params, &problems)
	sort.Strings(problems)
	return problems
}

var arrayOf = regexp.MustCompile(`^Array<(.+)>$`)

func (m *models) checkValue(svc, where, typ string, v any, problems *[]string) {
	bad := func(want string) {
		*problems = append(*problems, fmt.Sprintf("%s: want %s, have %s", where, want, jsonKind(v)))
	}
	switch typ = strings.TrimSpace(typ); {
	case typ == "string":
		if _, ok := v.(string); !ok {
			bad("a string")
		}
	case typ == "number" || typ == "number | bigint":
		if _, ok := v.(float64); !ok {
			bad("a number")
		}
	case typ == "boolean":
		if _, ok := v.(bool); !ok {
			bad("a boolean")
		}
	case arrayOf.MatchString(typ):
		list, ok := v.([]any)
		if !ok {
			bad("an array")
			return
		}
		elem := arrayOf.FindStringSubmatch(typ)[1]
		for i, e := range list {
			m.checkValue(svc, fmt.Sprintf("%s[%d]", where, i), elem, e, problems)
		}
	default:
		fields, ok := m.types[svc][typ]
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s: type %s is not in the models", where, typ))
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object (" + typ + ")")
			return
		}
		for name, value := range obj {
			f, ok := fields[name]
			if !ok {
				*problems = append(*problems, fmt.Sprintf("%s: no parameter %s in %s", where, name, typ))
				continue
			}
			m.checkValue(svc, where+" "+name, f.typ, value, problems)
		}
		for name, f := range fields {
			if _, given := obj[name]; !given && !f.optional {
				*problems = append(*problems, fmt.Sprintf("%s: the required parameter %s is missing", where, name))
			}
		}
	}
}

func jsonKind(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case float64:
		return fmt.Sprintf("the number %v", v)
	case bool:
		return fmt.Sprintf("%v", v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}
