// Package config is the only reader of the function's settings (its
// environment variables): the endpoint and signature method, the default
// region, the guards (handler/guard), the tuning of retries, concurrency,
// rate and isolation, verification (VERIFY, KEEP_SECURITY_GROUPS), the
// configured tag rules, and the account's (RECONCILE_REGIONS, the
// fan-out's). Load gives a Config value, with the clients of the APIs the
// settings name; a malformed setting is an error, never a silent default.
package config
