package rules

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
)

// CodeProjectAmbiguous refuses a project name that more than one project
// has (400); one that none has is answer.CodeProjectNotFound (404, as the
// API's own refusal of an unknown project id).
const CodeProjectAmbiguous = "InvalidParameterValue.ProjectNameAmbiguous"

// maxProjectName bounds a project's name as a rule or request gives it.
const maxProjectName = 200

// projectsTTL is how long a warm process trusts a name it resolved.
const projectsTTL = 5 * time.Minute

// ProjectNameOf reads a project's name: a non-empty string of at most 200
// characters without control characters. The message, when not "", says
// what is wrong.
func ProjectNameOf(raw []byte) (string, string) {
	s, msg := tagText(raw, maxProjectName)
	if msg == "" && strings.TrimSpace(s) == "" {
		msg = "is empty; give the project's name, such as \"prod\""
	}
	return s, msg
}

// target names the rule's project in messages: 1045, or "prod".
func (r Rule) target() string {
	if r.ProjectName != "" {
		return answer.Quote(r.ProjectName)
	}
	return strconv.FormatInt(r.ProjectID, 10)
}

// Names returns the distinct project names of set, in order.
func Names(set []Rule) []string {
	var out []string
	for _, r := range set {
		if r.ProjectName != "" && !slices.Contains(out, r.ProjectName) {
			out = append(out, r.ProjectName)
		}
	}
	return out
}

// AllowProjects checks each rule's ProjectId with allow
// (guard.Security.AllowProject) and names the first refused rule by its
// index in set ("Rules[i]: ..."). A rule that names its project is checked
// only once resolved (WithIDs), as resolved says.
func AllowProjects(set []Rule, resolved bool, allow func(int64) *answer.Error) *answer.Error {
	for i, r := range set {
		if r.ProjectName != "" && !resolved {
			continue
		}
		if err := allow(r.ProjectID); err != nil {
			err.Message = fmt.Sprintf("Rules[%d]: %s", i, err.Message)
			return err
		}
	}
	return nil
}

// WithIDs returns a copy of set whose named projects have their ids from
// ids (as Projects.Resolve gives them).
func WithIDs(set []Rule, ids map[string]int64) []Rule {
	out := slices.Clone(set)
	for i, r := range out {
		if r.ProjectName != "" {
			out[i].ProjectID = ids[r.ProjectName]
		}
	}
	return out
}

// Projects resolves project names into ids with the Tag API's
// DescribeProjects, through the one call path, and remembers each name
// it resolved for projectsTTL: one per warm process. Safe for concurrent use.
type Projects struct {
	Tags cvm.Caller       // required
	Now  func() time.Time // time.Now when nil

	mu    sync.Mutex
	known map[string]resolved
}

type resolved struct {
	id int64
	at time.Time
}

// Resolve returns the id of each of names, asking DescribeProjects (AllList
// 1, exact name match) for those not known within projectsTTL. Errors:
// answer.CodeProjectNotFound, CodeProjectAmbiguous, or the failed call's code.
func (p *Projects) Resolve(ctx context.Context, keys credentials.Provider, region string, names []string) (map[string]int64, *answer.Error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	out := make(map[string]int64, len(names))
	for _, name := range names {
		p.mu.Lock()
		k, ok := p.known[name]
		p.mu.Unlock()
		if ok && now().Sub(k.at) < projectsTTL {
			out[name] = k.id
			continue
		}
		ids, err := p.lookup(ctx, keys, region, name)
		if err != nil {
			return nil, err
		}
		switch len(ids) {
		case 0:
			return nil, answer.Errorf(answer.CodeProjectNotFound, "no project is named %s (DescribeProjects); nothing was moved", answer.Quote(name))
		case 1:
		default:
			return nil, answer.Errorf(CodeProjectAmbiguous, "%d projects are named %s (ids %s); give the ProjectId instead; nothing was moved", len(ids), answer.Quote(name), joinIDs(ids))
		}
		out[name] = ids[0]
		p.mu.Lock()
		if p.known == nil {
			p.known = map[string]resolved{}
		}
		p.known[name] = resolved{id: ids[0], at: now()}
		p.mu.Unlock()
	}
	return out, nil
}

// lookup lists the projects named name, page by page.
func (p *Projects) lookup(ctx context.Context, keys credentials.Provider, region, name string) ([]int64, *answer.Error) {
	var ids []int64
	for offset := 0; ; {
		var page cvm.Projects
		res, err := p.Tags.Call(ctx, keys, region, cvm.DescribeProjects{AllList: 1, Limit: cvm.MaxProjectsLimit, Offset: offset, ProjectName: name}, &page)
		if err != nil {
			code, msg := answer.FromCall(res, err, "")
			return nil, answer.Errorf(code, "resolving project %s (DescribeProjects) failed, so nothing was moved: %s", answer.Quote(name), msg)
		}
		for _, pr := range page.Projects {
			if pr.ProjectName == name && !slices.Contains(ids, pr.ProjectId) {
				ids = append(ids, pr.ProjectId)
			}
		}
		offset += len(page.Projects)
		if len(page.Projects) == 0 || offset >= page.Total {
			return ids, nil
		}
	}
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}
