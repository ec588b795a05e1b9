package api

import (
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

// Verification attempts allowed per client address and per case in ten
// minutes: generous for people, useless for guessing six digits.
const (
	verifyPerAddress = 30
	verifyPerCase    = 10
	verifySpan       = 10 * time.Minute
)

// limitVerify answers 429 with Retry-After once a client address or a case
// has had too many verification attempts.
func (s *Server) limitVerify() gin.HandlerFunc {
	perAddress := newWindow(verifyPerAddress, verifySpan, s.now)
	perCase := newWindow(verifyPerCase, verifySpan, s.now)
	return func(c *gin.Context) {
		okAddr, waitAddr := perAddress.allow(c.ClientIP())
		okCase, waitCase := perCase.allow(c.Param("id"))
		if okAddr && okCase {
			c.Next()
			return
		}
		wait := max(waitAddr, waitCase)
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		problem(c, http.StatusTooManyRequests, "too many verification attempts", "wait before trying again")
		c.Abort()
	}
}
