// Package credentials owns where the function's Tencent Cloud keys come
// from. FromEnv builds the provider chain from the environment: an assumed
// role (AssumeRole, STS) when ROLE_ARN is set, with the
// caller's keys from Env (what SCF sets for the execution role), else from
// InstanceRole (the CVM metadata service). A Provider is asked once per
// invocation; temporary keys are cached across warm invocations and
// refreshed before they expire (cache.go), once under concurrency.
//
// Credentials never print their secrets: String, GoString and LogValue show
// only the SecretId, the source and the expiry, so a stray %v or slog
// attribute is safe; no error message carries a key or a token.
package credentials
