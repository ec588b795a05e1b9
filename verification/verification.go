// Package verification issues the one-time codes that prove a requester
// controls the e-mail address or phone number a request names.
//
// Codes are never stored: the engine keeps Hash(key, caseID, code) and checks
// what the requester types with Match. Expiry and attempt limits belong to
// the caller, which knows the case.
package verification

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Digits is the length of a code.
const Digits = 6

const (
	space = 1_000_000 // 10^Digits
	// limit is the largest multiple of space that fits in a uint32; values at
	// or above it are rejected so every code is equally likely.
	limit = (1 << 32) / space * space
)

// NewCode returns a uniformly random code of Digits decimal digits, leading
// zeros kept.
func NewCode() (string, error) {
	return newCode(rand.Reader)
}

// DeriveCode returns the code for one issue (label, e.g. the notice key
// "verification_code:2") of a case: uniformly distributed and unguessable
// without key, like NewCode, but the same every time it is asked. A send
// retried after a crash then repeats the code the requester may already
// have, instead of sending a second, different one.
func DeriveCode(key []byte, caseID, label string) string {
	code, _ := newCode(&prf{key: key, msg: "dsrflow code v1\x00" + caseID + "\x00" + label})
	return code
}

// prf is an endless stream of HMAC-SHA256 blocks over msg and a counter.
type prf struct {
	key []byte
	msg string
	n   uint64
	buf []byte
}

func (p *prf) Read(b []byte) (int, error) {
	for len(p.buf) < len(b) {
		m := hmac.New(sha256.New, p.key)
		m.Write([]byte(p.msg))
		m.Write(binary.BigEndian.AppendUint64(nil, p.n))
		p.n++
		p.buf = m.Sum(p.buf)
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

func newCode(r io.Reader) (string, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("verification: reading random bytes: %w", err)
		}
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			return fmt.Sprintf("%06d", v%space), nil
		}
	}
}

// Hash returns the hex HMAC-SHA256 of code under key, bound to caseID so a
// code issued for one case is worthless for another. key must be a secret of
// at least 32 random bytes. The code is normalised as in Match.
func Hash(key []byte, caseID, code string) string {
	return hex.EncodeToString(sum(key, caseID, normalize(code)))
}

// Match reports whether code is the one hash was made from for caseID. The
// comparison takes constant time. Spaces, hyphens and full-width digits (as
// typed with a Chinese input method) are accepted. An empty key never
// matches, so a missing secret fails closed.
func Match(key []byte, caseID, code, hash string) bool {
	if len(key) == 0 {
		return false
	}
	code = normalize(code)
	if !wellFormed(code) {
		return false
	}
	want, err := hex.DecodeString(hash)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	return hmac.Equal(sum(key, caseID, code), want)
}

func sum(key []byte, caseID, code string) []byte {
	mac := hmac.New(sha256.New, key)
	// The length prefix keeps ("ab", "c") and ("a", "bc") apart; the label
	// keeps these MACs apart from anything else made with the same key.
	mac.Write([]byte("dsrflow verification v1\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(caseID)))
	mac.Write(n[:])
	mac.Write([]byte(caseID))
	mac.Write([]byte(code))
	return mac.Sum(nil)
}

func normalize(code string) string {
	var b strings.Builder
	for _, r := range code {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '\t' || r == '-' || r == '\u3000':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func wellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
