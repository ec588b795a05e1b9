package console

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
)

// maxCodecBody bounds what the UI may send to be decoded; a page of
// history is well under it.
const maxCodecBody = 4 << 20

// codec serves Temporal's remote codec to the Temporal UI for whoever is
// signed in to the console: the UI, with "include cross-origin
// credentials" on, sends the console's session cookie, and the payloads go
// to the API's /v1/codec route with that session's key, so the API's role
// check (admins only) decides who reads personal data. The UI must run on
// the same site as the console, or the browser withholds the cookie.
func (c *Console) codec(g *gin.Context) {
	origin := g.GetHeader("Origin")
	if origin != "" && !sameOrigin(g.Request) {
		// Another origin may ask only if it is a configured Temporal UI.
		if !slices.Contains(c.opts.CodecOrigins, origin) {
			codecRefused(g, http.StatusForbidden, "origin not allowed: add it to http.codec_origins")
			return
		}
		h := g.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Add("Vary", "Origin")
	}
	if g.Request.Method == http.MethodOptions {
		g.Status(http.StatusNoContent)
		return
	}
	if _, err := g.Request.Cookie(sessionCookie); err != nil {
		codecRefused(g, http.StatusUnauthorized, "sign in to the console first")
		return
	}
	s, err := c.session(g)
	if errors.Is(err, errNoSession) {
		codecRefused(g, http.StatusUnauthorized, "the console session has ended; sign in again")
		return
	}
	if err != nil {
		slog.Error("console codec: session lookup", "error", err)
		codecRefused(g, http.StatusServiceUnavailable, "the session cannot be checked now; retry later")
		return
	}
	body, err := io.ReadAll(io.LimitReader(g.Request.Body, maxCodecBody+1))
	if err != nil || len(body) > maxCodecBody {
		codecRefused(g, http.StatusRequestEntityTooLarge, "payloads too large")
		return
	}
	req, err := http.NewRequestWithContext(g.Request.Context(), http.MethodPost, "/v1/codec/"+g.Param("op"), bytes.NewReader(body))
	if err != nil {
		codecRefused(g, http.StatusBadRequest, "bad codec operation")
		return
	}
	req.RemoteAddr = g.Request.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set("Content-Type", "application/json")
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	g.Data(rec.status, rec.header.Get("Content-Type"), rec.body.Bytes())
}

// codecRefused answers as the API does, with a problem document.
func codecRefused(g *gin.Context, status int, detail string) {
	g.Header("Content-Type", "application/problem+json")
	g.JSON(status, gin.H{"title": http.StatusText(status), "status": status, "detail": detail})
}
