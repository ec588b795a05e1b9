package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// window counts events per key in fixed windows. It lives in one API
// process: with several replicas each counts its own share, which still
// bounds guessing (the workflow locks a case after five wrong codes anyway).
type window struct {
	limit int
	span  time.Duration
	now   func() time.Time

	mu   sync.Mutex
	hits map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

func newWindow(limit int, span time.Duration, now func() time.Time) *window {
	return &window{limit: limit, span: span, now: now, hits: map[string]*windowCount{}}
}

// allow counts one event for key; when over the limit it reports how long
// until the window resets.
func (w *window) allow(key string) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if len(w.hits) > 100_000 {
		// Old windows are dropped wholesale rather than tracked one by one.
		for k, c := range w.hits {
			if now.Sub(c.start) >= w.span {
				delete(w.hits, k)
			}
		}
	}
	c := w.hits[key]
	if c == nil || now.Sub(c.start) >= w.span {
		c = &windowCount{start: now}
		w.hits[key] = c
	}
	c.n++
	if c.n > w.limit {
		return false, c.start.Add(w.span).Sub(now)
	}
	return true, 0
}

// Verification attempts allowed in ten minutes: generous for people,
// useless for guessing six digits (the workflow also locks a case after
// five wrong codes).
//
//   - per case, whoever asks;
//   - per client: an API key and the end user behind it, named by the
//     X-Subject-Key header a portal sends, or else the key and the client
//     address, so that the users behind one portal host do not share one
//     budget;
//   - per API key, a ceiling over all its clients, so that a portal cannot
//     buy more attempts by inventing subject keys.
//
// Only attempts on a case the key may see count: a key that cannot see a
// case gets 404 without spending the owner's budget.
const (
	verifyPerCase   = 10
	verifyPerClient = 30
	// DefaultVerifyPerKey is Server.VerifyPerKey when unset.
	DefaultVerifyPerKey = 1000
	verifySpan          = 10 * time.Minute
)

// SubjectKeyHeader names the end user a portal acts for, as an opaque key
// of the portal's choosing (never personal data in clear).
const SubjectKeyHeader = "X-Subject-Key"

// maxSubjectKey bounds the header; a hash or a UUID fits.
const maxSubjectKey = 128

const verifyGateKey = "dsrflow.verifyGate"

// verifyGate counts one verification attempt on a case the caller may see
// and answers 429 itself once a budget is spent.
type verifyGate func(c *gin.Context, caseID string) bool

// limitVerify checks the X-Subject-Key header and hands the handler the
// gate that counts attempts; the handler calls it once the case is known
// to be visible.
func (s *Server) limitVerify() gin.HandlerFunc {
	perCase := newWindow(verifyPerCase, verifySpan, s.now)
	perClient := newWindow(verifyPerClient, verifySpan, s.now)
	ceiling := s.VerifyPerKey
	if ceiling <= 0 {
		ceiling = DefaultVerifyPerKey
	}
	perKey := newWindow(ceiling, verifySpan, s.now)
	gate := func(c *gin.Context, caseID string) bool {
		p := principal(c)
		client := "addr:" + c.ClientIP()
		if sk := c.GetHeader(SubjectKeyHeader); sk != "" {
			client = "subject:" + sk
		}
		// Keys hold the API key and a hash: no address or subject in clear
		// in memory, and no two keys share a budget.
		okCase, waitCase := perCase.allow("case:" + caseID)
		okClient, waitClient := perClient.allow(limitKey(p.KeyID, client))
		okKey, waitKey := perKey.allow("key:" + p.KeyID)
		if okCase && okClient && okKey {
			return true
		}
		wait := max(waitCase, waitClient, waitKey)
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		problem(c, http.StatusTooManyRequests, "too many verification attempts", "wait before trying again")
		return false
	}
	return func(c *gin.Context) {
		if sk, ok := c.Request.Header[http.CanonicalHeaderKey(SubjectKeyHeader)]; ok {
			if reason := checkSubjectKey(sk); reason != "" {
				problem(c, http.StatusBadRequest, "malformed request", SubjectKeyHeader+": "+reason,
					FieldError{Field: SubjectKeyHeader, Reason: reason})
				c.Abort()
				return
			}
		}
		c.Set(verifyGateKey, verifyGate(gate))
		c.Next()
	}
}

func checkSubjectKey(values []string) string {
	switch {
	case len(values) != 1:
		return "send it once"
	case values[0] == "" || len(values[0]) > maxSubjectKey:
		return fmt.Sprintf("1 to %d characters", maxSubjectKey)
	}
	for _, b := range []byte(values[0]) {
		if b < 0x21 || b > 0x7e {
			return "visible ASCII only (an opaque key such as a hash or a UUID, not personal data)"
		}
	}
	return ""
}

// limitKey is the budget of one client of one API key.
func limitKey(keyID, client string) string {
	sum := sha256.Sum256([]byte(keyID + "\x00" + client))
	return "client:" + keyID + ":" + hex.EncodeToString(sum[:16])
}

// countVerify spends one attempt of the route's budgets; it answers 429
// and reports false when one is spent.
func countVerify(c *gin.Context, caseID string) bool {
	g, ok := c.Get(verifyGateKey)
	if !ok {
		return true // a server built without Handler: no limits to keep
	}
	return g.(verifyGate)(c, caseID)
}
