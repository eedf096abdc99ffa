// Package signer computes Tencent Cloud API signatures: v1 (HmacSHA1 and
// HmacSHA256, for the legacy cvm.api.qcloud.com endpoint and API 3.0) in
// v1.go, and TC3-HMAC-SHA256 (API 3.0) in tc3.go, with the rest of API
// 3.0's envelope every client shares: a request's headers, an answer's
// Response.
//
// The package is pure: request parts, keys and the signing time go in,
// strings come out (and an answer's bytes in, its Response out). It reads
// no clock, makes no random numbers and does no I/O, so every step is
// tested against the published worked examples.
package signer
