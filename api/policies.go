package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/request"
)

func (s *Server) listPolicies(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"policies": s.Policies.List()})
}

func (s *Server) getPolicy(c *gin.Context) {
	p, ok := s.Policies.Get(c.Param("id"))
	if !ok {
		problem(c, http.StatusNotFound, "no such policy", "")
		return
	}
	c.JSON(http.StatusOK, p)
}

// policyDeadline answers what `dsr deadline` prints: the due date and the
// reminders for a request received (and perhaps verified) at given times.
func (s *Server) policyDeadline(c *gin.Context) {
	p, ok := s.Policies.Get(c.Param("id"))
	if !ok {
		problem(c, http.StatusNotFound, "no such policy", "")
		return
	}
	var errs []FieldError
	from, err := time.Parse(time.RFC3339, c.Query("from"))
	if err != nil {
		errs = append(errs, FieldError{Field: "from", Reason: "required, an RFC 3339 time such as 2026-03-01T10:00:00+08:00"})
	}
	var verified *time.Time
	if v := c.Query("verified"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs = append(errs, FieldError{Field: "verified", Reason: "an RFC 3339 time"})
		}
		verified = &t
	}
	typ := request.Access
	if t := c.Query("type"); t != "" {
		typ, err = request.Parse(t, request.Types)
		if err != nil {
			errs = append(errs, FieldError{Field: "type", Reason: err.Error()})
		}
	}
	if len(errs) > 0 {
		invalid(c, errs...)
		return
	}
	sched, err := p.Schedule(typ, from, verified)
	if err != nil {
		invalid(c, FieldError{Field: "from", Reason: err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"policy": p.ID, "type": typ, "schedule": sched})
}
