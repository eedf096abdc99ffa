package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

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
