package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of the contract.
const (
	// SignatureHeader carries t=<unix seconds>,v1=<hex HMAC-SHA256> on every
	// request dsrflow sends and every callback a service sends.
	SignatureHeader = "X-DSR-Signature"
	// IdempotencyHeader repeats the body's request_id, so that a service
	// can dedupe before parsing the body.
	IdempotencyHeader = "Idempotency-Key"
)

// Tolerance is how far a signature's time may be from the verifier's
// clock. It bounds how long a captured request can be replayed; the
// request_id dedupe covers replays within it.
const Tolerance = 5 * time.Minute

// Sign returns the SignatureHeader value for body sent at t: the HMAC of
// "<unix seconds>.<body>". Binding the time in makes an old capture useless
// once it falls out of the tolerance.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("no " + SignatureHeader + " header")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("signature time outside the tolerance")
)

// Verify checks a SignatureHeader value against body. Several v1 entries
// are allowed, so that a sender rotating its secret can sign with both.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("malformed %s header: want t=<unix seconds>,v1=<hex>", SignatureHeader)
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("malformed %s header: two t= entries", SignatureHeader)
			}
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
		// Other schemes are ignored, so that one can be added later.
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("malformed %s header: want t=<unix seconds>,v1=<hex>", SignatureHeader)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w (%s)", ErrStale, tolerance)
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(strings.ToLower(s)), want) {
			return nil
		}
	}
	return ErrBadSignature
}
