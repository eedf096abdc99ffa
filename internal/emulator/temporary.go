package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// checkExpiry refuses a temporary key from its expiry on. The API has no
// code of its own for an expired temporary key: AuthFailure.TokenFailure
// ("token error") is the closest real one, since the token is what
// expires; AuthFailure.SignatureExpire is about the request's timestamp,
// which CheckTimestamp answers.
func checkExpiry(key Key, now time.Time) *apiError {
	if key.Expires.IsZero() || now.Before(key.Expires) {
		return nil
	}
	return errorf(CodeTokenFailure, "The temporary credential of SecretId %s expired at %s (%d seconds ago); get new keys.",
		key.SecretID, key.Expires.UTC().Format(time.RFC3339), int64(now.Sub(key.Expires)/time.Second))
}

// issueKey makes a new temporary key, accepted by e until expires.
func (e *Emulator) issueKey(expires time.Time) Key {
	k := Key{SecretID: "AKIDtmp" + randomHex(14), SecretKey: "tmpkey" + randomHex(13), Token: "tmptoken" + randomHex(24), Expires: expires}
	e.AddKey(k)
	return k
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return hex.EncodeToString(b)
}
