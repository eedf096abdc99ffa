package emulator

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// MetadataCredentialsPath is where the CVM metadata service names the
// instance's role; the role's keys are at this path plus its name.
const MetadataCredentialsPath = "/latest/meta-data/cam/security-credentials/"

// DefaultInstanceRoleLifetime is how long the keys of an instance role
// live unless SetRole says otherwise.
const DefaultInstanceRoleLifetime = 6 * time.Hour

// MetadataFault is what a Metadata does wrong, for tests.
type MetadataFault int

const (
	MetadataUp              MetadataFault = iota // answers as the service does
	MetadataDown                                 // every path answers HTTP 503
	MetadataCredentialsDown                      // the role is named, its keys answer HTTP 500
)

// MetadataCall records one request to the metadata emulator.
type MetadataCall struct {
	Path           string
	Status         int
	IssuedSecretID string // the temporary key issued, for a read of the role's keys
}

// Metadata answers the CAM paths of the CVM instance metadata service:
// GET MetadataCredentialsPath gives the role's name (HTTP 404 when the
// instance has none), GET MetadataCredentialsPath+<name> its temporary
// keys as JSON {"TmpSecretId", "TmpSecretKey", "ExpiredTime",
// "Expiration", "Token", "Code": "Success"}, which the Emulator then
// accepts until they expire. Every read of the keys issues new ones, so a
// test sees each read by its keys.
//
// Build it with NewMetadata; serve it with Start. Its methods are safe for
// concurrent use.
type Metadata struct {
	e *Emulator

	mu       sync.Mutex
	role     string // "" when the instance has no role
	lifetime time.Duration
	fault    MetadataFault
	calls    []MetadataCall
	issued   []Key
}

// NewMetadata returns the metadata service of an instance without a role,
// whose keys e accepts.
func NewMetadata(e *Emulator) *Metadata {
	return &Metadata{e: e, lifetime: DefaultInstanceRoleLifetime}
}

// SetRole attaches the role name to the instance, its keys living
// lifetime (DefaultInstanceRoleLifetime when 0); "" detaches it.
func (m *Metadata) SetRole(name string, lifetime time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.role, m.lifetime = name, lifetime
	if lifetime <= 0 {
		m.lifetime = DefaultInstanceRoleLifetime
	}
}

// SetFault makes the service fail as f says from now on.
func (m *Metadata) SetFault(f MetadataFault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fault = f
}

// Calls returns a copy of the requests received so far, in arrival order.
func (m *Metadata) Calls() []MetadataCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// Issued returns every key issued so far.
func (m *Metadata) Issued() []Key {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.issued)
}

// Start serves m on a free port of 127.0.0.1, like Emulator.Start.
func (m *Metadata) Start() (baseURL string, stop func(), err error) { return Serve(m) }

// metadataCredentials is the answer for a role's keys.
type metadataCredentials struct {
	TmpSecretID  string `json:"TmpSecretId"`
	TmpSecretKey string `json:"TmpSecretKey"`
	ExpiredTime  int64  `json:"ExpiredTime"`
	Expiration   string `json:"Expiration"`
	Token        string `json:"Token"`
	Code         string `json:"Code"`
}

// ServeHTTP answers one GET and records it.
func (m *Metadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	role, lifetime, fault := m.role, m.lifetime, m.fault
	m.mu.Unlock()
	call := MetadataCall{Path: r.URL.Path}
	name, isRolePath := strings.CutPrefix(r.URL.Path, MetadataCredentialsPath)
	switch {
	case r.Method != http.MethodGet:
		call.Status = http.StatusMethodNotAllowed
		w.Header().Set("Allow", http.MethodGet)
	case fault == MetadataDown:
		call.Status = http.StatusServiceUnavailable
	case !isRolePath || role == "" || (name != "" && name != role):
		call.Status = http.StatusNotFound
	case name == "":
		call.Status = http.StatusOK
		m.record(call)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(role))
		return
	case fault == MetadataCredentialsDown:
		call.Status = http.StatusInternalServerError
	default:
		key := m.e.issueKey(m.e.clock().Add(lifetime))
		call.Status, call.IssuedSecretID = http.StatusOK, key.SecretID
		m.mu.Lock()
		m.issued = append(m.issued, key)
		m.mu.Unlock()
		m.record(call)
		writeJSON(w, http.StatusOK, metadataCredentials{
			TmpSecretID: key.SecretID, TmpSecretKey: key.SecretKey, Token: key.Token, Code: "Success",
			ExpiredTime: key.Expires.Unix(), Expiration: key.Expires.UTC().Format(time.RFC3339),
		})
		return
	}
	m.record(call)
	http.Error(w, http.StatusText(call.Status), call.Status)
}

func (m *Metadata) record(c MetadataCall) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, c)
}
