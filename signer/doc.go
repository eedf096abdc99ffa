// Package signer computes Tencent Cloud API signatures, v1 (HmacSHA1,
// HmacSHA256; API documentation "Signature") and TC3-HMAC-SHA256 ("Signature
// v3"), and API 3.0's headers and Response envelope. It is pure (no clock,
// randomness or I/O) and tested against the documents' worked examples.
package signer
