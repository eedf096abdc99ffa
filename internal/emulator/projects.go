package emulator

import "slices"

// CodeProjectNotFound is ModifyInstancesProject's refusal of a project
// that does not exist ("Invalid project ID: the specified project ID does
// not exist", CVM error codes; in ModifyInstancesProject's list).
const CodeProjectNotFound = "InvalidProjectId.NotFound"

// Project is one of the account's projects, as the Tag API's
// DescribeProjects (version 2018-08-13) gives it: ProjectId, ProjectName,
// CreatorUin, ProjectInfo, CreateTime ("2021-10-13 11:03:30" in its
// example). A Hidden project is listed only with AllList 1 ("all projects
// (including hidden ones)"). Names need not be unique: two projects may
// share one.
type Project struct {
	ID         int64
	Name       string
	Info       string
	CreatorUin uint64
	CreateTime string // "" answers "2021-10-13 11:03:30", the documentation's example
	Hidden     bool
}

// AddProjects adds projects to the account, replacing those with the same
// ID. Once any is added, ModifyInstancesProject refuses a project id that
// is not among them (nor 0, the default project) with
// InvalidProjectId.NotFound; before, every project id exists, as it did
// before projects were modelled.
func (e *Emulator) AddProjects(ps ...Project) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range ps {
		if i := slices.IndexFunc(e.projects, func(q Project) bool { return q.ID == p.ID }); i >= 0 {
			e.projects[i] = p
			continue
		}
		e.projects = append(e.projects, p)
	}
	slices.SortStableFunc(e.projects, func(a, b Project) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}

// Projects returns the account's projects, sorted by ID.
func (e *Emulator) Projects() []Project {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.projects)
}

// checkProject refuses a project that does not exist. The caller holds e.mu.
func (e *Emulator) checkProject(id int64) *apiError {
	if id == 0 || e.projects == nil || slices.ContainsFunc(e.projects, func(p Project) bool { return p.ID == id }) {
		return nil
	}
	return errorf(CodeProjectNotFound, "The project ID %d does not exist.", id)
}
