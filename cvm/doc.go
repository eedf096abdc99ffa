// Package cvm is the client of the CVM API (and, with NewService, of the Tag
// and SCF APIs): one call path that signs each attempt anew (v1 or TC3), paces it at
// its action's rate, sends it and retries through retry.Do, refusing keys
// that would expire on the way. A refusal is an *APIError; Check is the one
// retry judgement. Start with New and Client.Call; cvm/listing pages
// DescribeInstances, cvm/batch moves batches and waits for their operations.
package cvm
