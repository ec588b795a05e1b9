// Package api is the HTTP API for DPO staff and the customer-service portal.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/store"
)

// maxBody bounds request bodies; a DSR is a few kilobytes.
const maxBody = 1 << 20

// Server answers the API.
type Server struct {
	Store     *store.Store
	Temporal  client.Client
	Policies  *policy.Registry
	TaskQueue string
	// Now is the clock for received_at; tests may fix it.
	Now func() time.Time
}

// Handler builds the router.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		slog.Error("panic in handler", "path", c.FullPath(), "error", err)
		problem(c, http.StatusInternalServerError, "internal error", "")
	}))
	r.Use(requestLog, limitBody)
	r.NoRoute(func(c *gin.Context) { problem(c, http.StatusNotFound, "no such route", "") })
	r.NoMethod(func(c *gin.Context) { problem(c, http.StatusMethodNotAllowed, "method not allowed", "") })
	r.HandleMethodNotAllowed = true

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)

	v1 := r.Group("/v1")
	v1.GET("/policies", s.listPolicies)
	v1.GET("/policies/:id", s.getPolicy)
	v1.GET("/policies/:id/deadline", s.policyDeadline)
	v1.POST("/requests", s.openRequest)
	v1.GET("/requests/:id", s.getRequest)
	v1.GET("/requests/:id/events", s.requestEvents)
	for _, a := range actions {
		v1.POST("/requests/:id/"+a.path, s.act(a))
	}
	return r
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// requestLog logs method, route pattern, status and duration: never the
// path itself or a body, which can carry personal data.
func requestLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	slog.Info("http", "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "ms", time.Since(start).Milliseconds())
}

func limitBody(c *gin.Context) {
	if c.Request.ContentLength > maxBody {
		problem(c, http.StatusRequestEntityTooLarge, "request body too large", "")
		c.Abort()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	c.Next()
}
