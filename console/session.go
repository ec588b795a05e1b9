package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// sessionCookie holds the sealed session. Its path is the console's, so
// the API never sees it: a browser cookie must not become a way to call
// the API without the Authorization header.
const sessionCookie = "dsr_console"

// sessionLifetime is one working day; after it staff sign in again.
const sessionLifetime = 10 * time.Hour

// session is who is signed in. The API key travels only sealed: the cookie
// is AES-GCM ciphertext under the server's secret, so neither the browser's
// storage nor a proxy log shows the key.
type session struct {
	Key     string   `json:"k"`
	KeyID   string   `json:"ki"`
	KeyName string   `json:"n"`
	Role    string   `json:"r"`
	Tenants []string `json:"t"`
	Actor   string   `json:"a,omitempty"`
	// ID is random per sign-in; the CSRF token derives from it, and the
	// store keeps its hash as the server-side record of the session.
	ID      string    `json:"i"`
	Expires time.Time `json:"e"`
}

// sealer seals sessions and derives CSRF tokens from one secret.
type sealer struct {
	aead cipher.AEAD
	mac  []byte
}

// newSealer derives the sealing and CSRF keys from secret, each under its
// own label, so that one never serves as the other.
func newSealer(secret []byte) (*sealer, error) {
	if len(secret) < 16 {
		return nil, errors.New("console secret: at least 16 bytes")
	}
	block, err := aes.NewCipher(derive(secret, "dsrflow console session seal"))
	if err != nil {
		return nil, fmt.Errorf("console secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("console secret: %w", err)
	}
	return &sealer{aead: aead, mac: derive(secret, "dsrflow console csrf")}, nil
}

func derive(secret []byte, label string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(label))
	return h.Sum(nil)
}

func (s *sealer) seal(sess session) (string, error) {
	plain, err := json.Marshal(sess)
	if err != nil {
		return "", fmt.Errorf("seal session: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal session: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, plain, []byte(sessionCookie))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

var errNoSession = errors.New("no valid session")

// open returns the session in value, or errNoSession for anything forged,
// sealed under another secret or expired.
func (s *sealer) open(value string, now time.Time) (session, error) {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) < s.aead.NonceSize() {
		return session{}, errNoSession
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(sessionCookie))
	if err != nil {
		return session{}, errNoSession
	}
	var sess session
	if err := json.Unmarshal(plain, &sess); err != nil || sess.Key == "" || !now.Before(sess.Expires) {
		return session{}, errNoSession
	}
	return sess, nil
}

// csrfToken is the token every form of a session carries: a MAC of the
// session's ID, so it cannot be guessed or taken from another session, and
// needs no server-side state.
func (s *sealer) csrfToken(sess session) string {
	h := hmac.New(sha256.New, s.mac)
	h.Write([]byte(sess.ID))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func (s *sealer) checkCSRF(sess session, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(s.csrfToken(sess)))
}

// sameOrigin refuses a POST that a browser says came from another site.
// Browsers send Origin on every cross-origin POST; "null" is what they send
// from a sandboxed frame, a data: URL or after a cross-site redirect, all of
// which an attacker controls, so it counts as foreign. When Origin is
// absent (old browsers, some privacy settings) the Referer decides, and
// when both are, the CSRF token alone does.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "null" {
		return false
	}
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true
	}
	u, err := url.Parse(src)
	return err == nil && u.Host == r.Host
}

// signinCookie holds a random pre-session value; the sign-in form carries
// a MAC of it. A page on another site can make a browser POST a key to
// /console/signin (login CSRF: the victim then works, unknowingly, in the
// attacker's session) but can neither read this cookie nor compute the MAC.
const signinCookie = "dsr_signin"

// signinToken is the sign-in form's token for the pre-session value v.
func (s *sealer) signinToken(v string) string {
	h := hmac.New(sha256.New, s.mac)
	h.Write([]byte("signin\x00"))
	h.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func (s *sealer) checkSignin(v, token string) bool {
	return v != "" && token != "" && hmac.Equal([]byte(token), []byte(s.signinToken(v)))
}

// secure reports whether the browser talks to us over TLS, directly or
// through a proxy that terminates it; the cookie is Secure then.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: basePath, MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
