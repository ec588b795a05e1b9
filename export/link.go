package export

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// LinkLifetime is how long a download link works unless told otherwise:
// long enough for a requester to come back to the e-mail, short enough that
// a forwarded or leaked link does not expose the data for good.
const LinkLifetime = 7 * 24 * time.Hour

// Errors of Verify.
var (
	ErrExpired      = errors.New("download link expired")
	ErrBadSignature = errors.New("download link signature invalid")
)

// Signer signs download links of packages: the link is the requester's
// only credential (they have no API key), so it is unforgeable and expires.
// Key should be 32 random bytes, shared by every API host.
type Signer struct {
	Key []byte
}

// minSignerKey refuses keys too short to resist guessing.
const minSignerKey = 32

// Sign returns the query string ("exp=...&sig=...") that lets id be
// downloaded until expires.
func (s *Signer) Sign(id string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return url.Values{"exp": {exp}, "sig": {s.mac(id, exp)}}.Encode()
}

// Verify checks a link's query for id at now. The signature is checked
// before the expiry, so that only a link we issued learns it has expired.
func (s *Signer) Verify(id string, q url.Values, now time.Time) error {
	if len(s.Key) < minSignerKey {
		return fmt.Errorf("verify link: signing key shorter than %d bytes: %w", minSignerKey, ErrBadSignature)
	}
	exps, sigs := q["exp"], q["sig"]
	if len(exps) != 1 || len(sigs) != 1 {
		return fmt.Errorf("verify link: want one exp and one sig: %w", ErrBadSignature)
	}
	got, err := hex.DecodeString(sigs[0])
	if err != nil {
		return fmt.Errorf("verify link: %w", ErrBadSignature)
	}
	want, _ := hex.DecodeString(s.mac(id, exps[0]))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("verify link: %w", ErrBadSignature)
	}
	exp, err := strconv.ParseInt(exps[0], 10, 64)
	if err != nil {
		return fmt.Errorf("verify link: %w", ErrBadSignature)
	}
	if !now.Before(time.Unix(exp, 0)) {
		return fmt.Errorf("verify link: %w", ErrExpired)
	}
	return nil
}

// mac binds the ID and the expiry with a separator neither can hold, so
// that no other ID and expiry give the same message.
func (s *Signer) mac(id, exp string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("dsrflow export link v1\x00" + id + "\x00" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// idPattern is what an export ID looks like; it becomes part of a store
// key and a file name, so nothing else is accepted.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// ValidID reports whether id can name an export.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// NewID returns a new random export ID.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// ArchiveKey is the store key of export id's zip.
func ArchiveKey(id string) string { return "exports/" + id + ".zip" }
