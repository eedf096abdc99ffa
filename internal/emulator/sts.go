package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"
)

// What the STS emulator serves.
const (
	STSAction  = "AssumeRole"
	STSVersion = "2018-08-13"
	STSService = "sts" // the service a TC3 credential scope must name

	DefaultRoleDuration = 7200 * time.Second  // STS's DurationSeconds when none is sent
	MaxRoleDuration     = 43200 * time.Second // the longest DurationSeconds STS takes
)

// The error codes STS answers, as the STS API spells them.
const (
	CodeRoleNotFound          = "ResourceNotFound.RoleNotFound"
	CodeUnauthorizedOperation = "UnauthorizedOperation"
	CodeOverTimeError         = "InvalidParameter.OverTimeError"
	CodeParamError            = "InvalidParameter.ParamError"
)

// roleSessionNameRE is the RoleSessionName STS takes.
var roleSessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,128}$`)

// STSCall records one request to the STS emulator, whatever its outcome.
type STSCall struct {
	SecretID        string // the caller's key
	HasToken        bool   // the caller's key was a temporary one, with its token
	Region          string
	RoleArn         string
	RoleSessionName string
	DurationSeconds int64 // as sent; 0 when absent
	ExternalID      string
	IssuedSecretID  string // the temporary key issued; "" when refused
	Code            string // "" on success, else the error code answered
	RequestID       string
}

// STS answers AssumeRole like Tencent Cloud's STS (API 3.0, version
// 2018-08-13, POST / signed with TC3-HMAC-SHA256) for the roles added with
// AddRole. It checks the caller's key against the Emulator's keys with the
// code that checks CVM calls (a TC3 scope naming "sts"), and issues
// temporary keys (SecretId, SecretKey, Token) that the Emulator then
// accepts, for CVM calls and STS alike, until they expire.
//
// Build it with NewSTS; serve it with Start (its own loopback listener, as
// its POST / would collide with the CVM endpoint's). Its methods are safe
// for concurrent use.
type STS struct {
	e *Emulator

	mu       sync.Mutex
	roles    map[string]string // ARN → the ExternalId it requires ("" for none)
	lifetime time.Duration     // when > 0, the lifetime of every key issued
	refusal  *apiError         // when set, every authenticated call is refused with it
	delay    time.Duration     // how long each call waits before it is answered
	calls    []STSCall
	issued   []Key
}

// NewSTS returns an STS that issues keys e accepts. It knows no role yet.
func NewSTS(e *Emulator) *STS {
	return &STS{e: e, roles: map[string]string{}}
}

// AddRole lets callers assume arn; externalID, when not empty, must be sent.
func (s *STS) AddRole(arn, externalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[arn] = externalID
}

// SetLifetime makes every key issued from now on live d, whatever
// DurationSeconds asks (STS's minimum of 900 s makes tests slow); 0 goes
// back to DurationSeconds.
func (s *STS) SetLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// Refuse makes every authenticated AssumeRole from now on answer code
// (e.g. UnauthorizedOperation) with message; an empty code accepts again.
func (s *STS) Refuse(code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusal = nil
	if code != "" {
		s.refusal = &apiError{Code: code, Message: message}
	}
}

// SetDelay makes each call wait d before it is answered (or until the
// client gives up), so that tests can have calls overlap.
func (s *STS) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Calls returns a copy of the requests received so far, in arrival order.
func (s *STS) Calls() []STSCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Issued returns every key issued so far, for tests that look for them in
// places they must not be.
func (s *STS) Issued() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// Start serves s on a free port of 127.0.0.1, like Emulator.Start.
func (s *STS) Start() (baseURL string, stop func(), err error) { return Serve(s) }

// assumeRoleParams is the AssumeRole request body.
type assumeRoleParams struct {
	RoleArn         string
	RoleSessionName string
	DurationSeconds *int64
	ExternalId      string
}

// ServeHTTP answers one request on / and records it. Like the API it
// answers HTTP 200 with a JSON body, success or error; another path is
// answered 404 and another HTTP method 405.
func (s *STS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	switch {
	case r.URL.Path != PathAPI3:
		err := errorf(CodeUnsupportedOperation, "The path %q is not the STS endpoint; use %q.", r.URL.Path, PathAPI3)
		s.record(STSCall{Code: err.Code, RequestID: requestID})
		writeAnswer(w, http.StatusNotFound, false, requestID, nil, err)
		return
	case r.Method != http.MethodPost:
		err := errorf(CodeUnsupportedProtocol, "The HTTP method %s is not supported; use POST.", r.Method)
		s.record(STSCall{Code: err.Code, RequestID: requestID})
		w.Header().Set("Allow", http.MethodPost)
		writeAnswer(w, http.StatusMethodNotAllowed, false, requestID, nil, err)
		return
	}
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}

	q := readRequest(r, EndpointAPI3)
	q.service = STSService
	var p assumeRoleParams
	paramErr := q.fatal
	if paramErr == nil && json.Unmarshal(q.body, &p) != nil {
		paramErr = errorf(CodeInvalidParameter, "The request body is not a JSON object of AssumeRole's parameters.")
	}
	call := STSCall{
		SecretID: q.secretID, HasToken: q.token != "", Region: q.region, RequestID: requestID,
		RoleArn: p.RoleArn, RoleSessionName: p.RoleSessionName, ExternalID: p.ExternalId,
	}
	if p.DurationSeconds != nil {
		call.DurationSeconds = *p.DurationSeconds
	}
	key, err := s.handle(q, p, paramErr)
	if err != nil {
		call.Code = err.Code
	} else {
		call.IssuedSecretID = key.SecretID
	}
	s.record(call)
	writeSTSAnswer(w, requestID, key, err)
}

// handle runs every check in the API's order, then issues the keys.
func (s *STS) handle(q *request, p assumeRoleParams, paramErr *apiError) (Key, *apiError) {
	if q.fatal != nil {
		return Key{}, q.fatal
	}
	if !q.tc3 {
		return Key{}, errorf(CodeSignatureFailure, "This STS emulator takes TC3-HMAC-SHA256 signatures only.")
	}
	if err := s.e.authenticate(q); err != nil {
		return Key{}, err
	}
	switch {
	case q.action != STSAction:
		return Key{}, errorf(CodeInvalidAction, "The action `%s` is not supported in version %s of service %s; this endpoint answers %s.", q.action, STSVersion, STSService, STSAction)
	case q.version != STSVersion:
		return Key{}, errorf(CodeNoSuchVersion, "The version `%s` of service %s does not exist; use %s.", q.version, STSService, STSVersion)
	case q.region == "":
		return Key{}, missing("Region")
	case paramErr != nil:
		return Key{}, paramErr
	}
	s.mu.Lock()
	refusal, lifetime := s.refusal, s.lifetime
	externalID, known := s.roles[p.RoleArn]
	s.mu.Unlock()

	duration := DefaultRoleDuration
	if p.DurationSeconds != nil {
		duration = time.Duration(*p.DurationSeconds) * time.Second
	}
	switch {
	case refusal != nil:
		return Key{}, refusal
	case p.RoleArn == "":
		return Key{}, missing("RoleArn")
	case p.RoleSessionName == "":
		return Key{}, missing("RoleSessionName")
	case !roleSessionNameRE.MatchString(p.RoleSessionName):
		return Key{}, errorf(CodeParamError, "The RoleSessionName %q is not 2 to 128 letters, digits or +=,.@_-.", p.RoleSessionName)
	case duration <= 0 || duration > MaxRoleDuration:
		return Key{}, errorf(CodeOverTimeError, "The DurationSeconds %d is not from 1 to %d.", int64(duration/time.Second), int64(MaxRoleDuration/time.Second))
	case !known:
		return Key{}, errorf(CodeRoleNotFound, "The role %q does not exist.", p.RoleArn)
	case externalID != "" && p.ExternalId != externalID:
		return Key{}, errorf(CodeUnauthorizedOperation, "The ExternalId does not match the one role %q requires.", p.RoleArn)
	}
	if lifetime > 0 {
		duration = lifetime
	}
	key := s.e.issueKey(s.e.clock().Add(duration))
	s.mu.Lock()
	s.issued = append(s.issued, key)
	s.mu.Unlock()
	return key, nil
}

func (s *STS) record(c STSCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// stsAnswer is AssumeRole's answer shape.
type stsAnswer struct {
	Response stsBody `json:"Response"`
}

type stsBody struct {
	Credentials *stsCredentials `json:"Credentials,omitempty"`
	ExpiredTime int64           `json:"ExpiredTime,omitempty"`
	Expiration  string          `json:"Expiration,omitempty"`
	Error       *api3Error      `json:"Error,omitempty"`
	RequestID   string          `json:"RequestId"`
}

type stsCredentials struct {
	Token        string `json:"Token"`
	TmpSecretID  string `json:"TmpSecretId"`
	TmpSecretKey string `json:"TmpSecretKey"`
}

// writeSTSAnswer writes the issued key, or err, with HTTP 200.
func writeSTSAnswer(w http.ResponseWriter, requestID string, key Key, err *apiError) {
	body := stsBody{RequestID: requestID}
	if err != nil {
		body.Error = &api3Error{Code: err.Code, Message: err.Message}
	} else {
		body.Credentials = &stsCredentials{Token: key.Token, TmpSecretID: key.SecretID, TmpSecretKey: key.SecretKey}
		body.ExpiredTime = key.Expires.Unix()
		body.Expiration = key.Expires.UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, stsAnswer{Response: body})
}

// writeJSON writes v as a JSON answer with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain strings and numbers: cannot happen
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
