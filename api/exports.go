package api

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/export"
)

// downloadExport streams a requester's package. The requester has no API
// key: the signed, expiring link we e-mailed them is the credential.
func (s *Server) downloadExport(c *gin.Context) {
	if s.Exports == nil || s.Links == nil {
		problem(c, http.StatusServiceUnavailable, "exports not configured", "")
		return
	}
	id := c.Param("id")
	switch err := s.Links.Verify(id, c.Request.URL.Query(), s.now()); {
	case errors.Is(err, export.ErrExpired):
		problem(c, http.StatusGone, "download link expired", "ask us for a new link")
		return
	case err != nil:
		problem(c, http.StatusForbidden, "invalid download link", "")
		return
	}
	// A link we signed names a valid ID; this guards the store key all
	// the same.
	if !export.ValidID(id) {
		problem(c, http.StatusNotFound, "no such export", "")
		return
	}
	ctx := c.Request.Context()
	key := export.ArchiveKey(id)
	size, err := s.Exports.Size(ctx, key)
	if err == nil {
		var rc io.ReadCloser
		if rc, err = s.Exports.Open(ctx, key); err == nil {
			defer rc.Close()
			s.sendExport(c, id, size, rc)
			return
		}
	}
	if errors.Is(err, export.ErrNotFound) {
		// Deleted after its retention period, most likely.
		problem(c, http.StatusNotFound, "no such export", "it may have been deleted: ask us for a new copy")
		return
	}
	slog.Error("open export", "error", err)
	problem(c, http.StatusInternalServerError, "internal error", "")
}

func (s *Server) sendExport(c *gin.Context, id string, size int64, rc io.Reader) {
	// Opening the first chunk before answering turns a damaged file or a
	// retired key into a clean 500 rather than a 200 cut short.
	br := bufio.NewReaderSize(rc, 64<<10)
	if _, err := br.Peek(1); err != nil && !errors.Is(err, io.EOF) {
		slog.Error("read export", "error", err)
		problem(c, http.StatusInternalServerError, "internal error", "")
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="dsr-`+id+`.zip"`)
	// The zip is personal data: no proxy or browser cache keeps a copy.
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// With the length announced, a transfer that fails halfway is seen
	// as cut short by the client, not as a complete (corrupt) zip.
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, br); err != nil {
		slog.Error("send export", "error", err)
	}
}
