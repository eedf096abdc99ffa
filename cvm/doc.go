// Package cvm is the client of the CVM API (NewService: the Tag and SCF
// APIs): one call path that signs each attempt anew, paces it at its
// action's rate and retries it (Check). A refusal is an *APIError. Start
// with New and Client.Call; cvm/listing lists, cvm/batch moves and waits.
package cvm
