package guard

import "slices"

// ProjectNamePrefix marks a project given by its name in
// ALLOWED_PROJECT_IDS: 0,1045,name:prod.
const ProjectNamePrefix = "name:"

// WithNames returns s with the projects ALLOWED_PROJECT_IDS names
// resolved (ids: name → id) and added to AllowedProjectIDs, so that
// AllowProject checks them.
func (s Security) WithNames(ids map[string]int64) Security {
	if len(s.AllowedProjectNames) == 0 {
		return s
	}
	s.AllowedProjectIDs = slices.Clone(s.AllowedProjectIDs)
	for _, n := range s.AllowedProjectNames {
		if id, ok := ids[n]; ok && !slices.Contains(s.AllowedProjectIDs, id) {
			s.AllowedProjectIDs = append(s.AllowedProjectIDs, id)
		}
	}
	s.AllowedProjectNames = nil
	return s
}
