// Package credentials gives the keys of each call: the execution role's
// (Env), an assumed role's (STS AssumeRole) or the CVM instance role's (the
// metadata service), cached and renewed before they would expire
// (NeedUntil), STS and metadata retried through retry.Do. Start with FromEnv.
package credentials
