package handler

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
	"scf-cvm-project/handler/answer"
	"scf-cvm-project/handler/config"
	"scf-cvm-project/handler/request"
	"scf-cvm-project/handler/rules"
	"scf-cvm-project/handler/run"
)

// moveByName reads a move's Project (a name) in place of its ProjectId:
// raw then reads as a move into project 0 for request.Validate, and the
// name is resolved before the run (resolveProjects). A move takes no
// Regions: it is refused, not ignored.
func moveByName(raw request.Raw) (request.Raw, string, *answer.Error) {
	if request.Present(raw.Regions) {
		return raw, "", answer.Errorf(answer.CodeInvalidParameterValue, "Regions applies to a reconciliation (\"Reconcile\": true, or Rules); a move's instances are in Region")
	}
	if !raw.HasProjectName {
		return raw, "", nil
	}
	if raw.HasProjectID {
		return raw, "", answer.Errorf(answer.CodeInvalidParameterValue, "ProjectId and Project are both given; give the project's id or its name, not both")
	}
	name, msg := rules.ProjectNameOf(raw.ProjectName)
	if msg != "" {
		return raw, "", answer.Errorf(answer.CodeInvalidParameterValue, "Project %s", msg)
	}
	zero := int64(0)
	raw.ProjectID, raw.HasProjectID = &zero, true
	return raw, name, nil
}

// resolveProjects is the step between the credentials and the run: the
// projects p and ALLOWED_PROJECT_IDS name are resolved into ids (the Tag
// API's DescribeProjects, remembered for a while by a warm process), and
// ALLOWED_PROJECT_IDS is applied to the ids, so that every refusal of the
// request still comes before any write. Without names it calls nothing.
func (h *Handler) resolveProjects(ctx context.Context, keys credentials.Provider, p *plan) *answer.Error {
	var names []string
	switch p.Kind {
	case run.Move:
		if p.Move.ProjectName != "" {
			names = append(names, p.Move.ProjectName)
		}
	case run.Rules:
		names = rules.Names(p.Rules.Rules)
	case run.Events:
		names = rules.Names(h.Rules)
	}
	for _, n := range h.Security.AllowedProjectNames {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	var ids map[string]int64
	var err *answer.Error
	if h.Projects == nil {
		err = answer.Errorf(answer.CodeInternalError, "projects are named, but the function cannot resolve names (no Tag API client)")
	} else {
		ids, err = h.Projects.Resolve(ctx, keys, h.DefaultRegion, names)
	}
	if err != nil {
		return err
	}
	security := h.Security.WithNames(ids)
	switch p.Kind {
	case run.Move:
		if n := p.Move.ProjectName; n != "" {
			id := ids[n]
			p.Move.ProjectID, p.projectID = id, &id
		}
		return security.AllowProject(p.Move.ProjectID)
	case run.Rules:
		p.Rules.Rules = rules.WithIDs(p.Rules.Rules, ids)
		return security.AllowRuleProjects(allIDs(p.Rules.Rules))
	case run.Events:
		p.EventRules = rules.WithIDs(h.Rules, ids)
		return security.AllowRuleProjects(allIDs(p.EventRules))
	}
	return nil
}

func allIDs(set []rules.Rule) []int64 {
	ids := make([]int64, len(set))
	for i, r := range set {
		ids[i] = r.ProjectID
	}
	return ids
}

// wireAccount gives h what a whole account needs: the resolver of
// projects' names (through h.Tags, the Tag API's one client), and the SCF
// API's client that hands
// regions to invocations of the function itself (SCF_FUNCTIONNAME), both
// through the one call path.
func (h *Handler) wireAccount(cfg config.Config, httpClient cvm.Doer, logger *slog.Logger) error {
	h.Account = cfg.Account
	h.Projects = &rules.Projects{Tags: h.Tags} // the Tag API's one client, built before
	if h.Tags == nil {
		return errors.New("the Tag API's client is not built")
	}
	if cfg.Account.FunctionName == "" {
		return nil
	}
	scf, err := cfg.NewSCFClient(httpClient, logger)
	if err != nil {
		return err
	}
	h.FanOut = run.FanOut{SCF: scf, FunctionName: cfg.Account.FunctionName, Namespace: cfg.Account.Namespace, Region: cfg.DefaultRegion}
	return nil
}
