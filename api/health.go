package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
)

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz checks the parts a request needs: the store and Temporal.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "temporal": "ok"}
	var failed []string
	if err := s.Store.Ping(ctx); err != nil {
		checks["database"] = err.Error()
		failed = append(failed, "database")
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = err.Error()
		failed = append(failed, "temporal")
	}
	if len(failed) > 0 {
		fields := make([]FieldError, len(failed))
		for i, f := range failed {
			fields[i] = FieldError{Field: f, Reason: checks[f]}
		}
		problem(c, http.StatusServiceUnavailable, "not ready", "failing: "+strings.Join(failed, ", "), fields...)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}
