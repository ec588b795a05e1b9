// Package api is the HTTP API for DPO staff and the customer-service portal.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/intake"
	"github.com/dsrflow/dsrflow/metrics"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/store"
)

// maxBody bounds request bodies; a DSR is a few kilobytes.
const maxBody = 1 << 20

// bodyLimits are the routes that take more than maxBody: an e-mail carries
// its attachments (ID scans).
var bodyLimits = map[string]int64{"/v1/intake/email": intake.MaxMessage}

// Server answers the API.
type Server struct {
	Store     *store.Store
	Temporal  client.Client
	Policies  *policy.Registry
	TaskQueue string
	// Now is the clock for received_at; tests may fix it.
	Now func() time.Time
	// Metrics, when set, is served at /metrics; Handler adds the request
	// metrics to it, so build one handler per registry.
	Metrics *prometheus.Registry
	// Intake, when set, takes e-mail at POST /v1/intake/email.
	Intake *intake.Intake
	// Codec, when set, is served to admins at /v1/codec/{decode,encode}.
	Codec converter.PayloadCodec
	// TrustedProxies are the addresses (IPs or CIDRs) whose
	// X-Forwarded-For names the client; none by default, so a forged header
	// cannot buy a client more verification attempts.
	TrustedProxies []string
	// VerifyPerKey is how many verification attempts one API key may make
	// in ten minutes over all its end users; DefaultVerifyPerKey when 0.
	VerifyPerKey int
	// CallbackSecrets are the secrets of the http connectors, by name, that
	// authenticate their services' job callbacks.
	CallbackSecrets map[string][]byte
	// Exports holds the packages that signed Links let requesters download.
	Exports export.Store
	Links   *export.Signer

	keys keyCache
}

// Handler builds the router.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		// Config validation checks them first; refuse to trust what fails.
		slog.Error("trusted proxies", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		slog.Error("panic in handler", "path", c.FullPath(), "error", err)
		problem(c, http.StatusInternalServerError, "internal error", "")
	}))
	var httpm *metrics.HTTP
	if s.Metrics != nil {
		httpm = metrics.NewHTTP(s.Metrics)
		r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{})))
	}
	r.Use(requestLog(httpm), limitBody)
	r.NoRoute(func(c *gin.Context) { problem(c, http.StatusNotFound, "no such route", "") })
	r.NoMethod(func(c *gin.Context) { problem(c, http.StatusMethodNotAllowed, "method not allowed", "") })
	r.HandleMethodNotAllowed = true

	for _, rt := range s.Routes() {
		var chain []gin.HandlerFunc
		if rt.Roles != nil {
			chain = append(chain, s.authenticate(rt.Roles))
			if rt.Method == http.MethodPost {
				chain = append(chain, s.idempotent)
			}
		}
		if rt.Path == "/v1/requests/:id/verify" {
			chain = append(chain, s.limitVerify())
		}
		r.Handle(rt.Method, rt.Path, append(chain, rt.handle)...)
	}
	return r
}

// Route is one route of the API and the roles that may call it.
type Route struct {
	Method string
	Path   string
	// Roles may call the route; nil means no key is needed.
	Roles  []auth.Role
	handle gin.HandlerFunc
}

// Routes lists every route. Each declares its roles here and nowhere else.
func (s *Server) Routes() []Route {
	var (
		anyone  = auth.Roles
		staff   = []auth.Role{auth.Admin, auth.DPO}
		readers = []auth.Role{auth.Admin, auth.DPO, auth.Auditor}
	)
	routes := []Route{
		{http.MethodGet, "/healthz", nil, s.healthz},
		{http.MethodGet, "/readyz", nil, s.readyz},
		{http.MethodGet, "/v1/openapi.json", nil, s.openapi},
		{http.MethodGet, "/v1/policies", anyone, s.listPolicies},
		{http.MethodGet, "/v1/policies/:id", anyone, s.getPolicy},
		{http.MethodGet, "/v1/policies/:id/deadline", anyone, s.policyDeadline},
		{http.MethodPost, "/v1/requests", []auth.Role{auth.Admin, auth.DPO, auth.Portal}, s.openRequest},
		{http.MethodGet, "/v1/requests", append(readers, auth.Portal), s.listRequests},
		{http.MethodGet, "/v1/requests/summary", append(readers, auth.Portal), s.summarizeRequests},
		{http.MethodGet, "/v1/requests/:id", append(readers, auth.Portal), s.getRequest},
		{http.MethodGet, "/v1/requests/:id/events", readers, s.requestEvents},
		{http.MethodPost, "/v1/intake/email", []auth.Role{auth.Admin, auth.Intake}, s.receiveEmail},
		{http.MethodGet, "/v1/intake/refused", readers, s.listRefusedEmail},
		{http.MethodPost, "/v1/codec/:op", []auth.Role{auth.Admin}, s.codecPayloads},
		{http.MethodGet, "/v1/exports/:id", nil, s.downloadExport},
		{http.MethodPost, "/v1/connectors/:name/callbacks", nil, s.connectorCallback},
	}
	for _, a := range actions {
		roles := staff
		if a.portal {
			roles = append(slices.Clone(staff), auth.Portal)
		}
		routes = append(routes, Route{http.MethodPost, "/v1/requests/:id/" + a.path, roles, s.act(a)})
	}
	return routes
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// requestLog logs and counts method, route pattern, status and duration:
// never the path itself or a body, which can carry personal data.
func requestLog(m *metrics.HTTP) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		took := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		slog.Info("http", "method", c.Request.Method, "route", route,
			"status", c.Writer.Status(), "ms", took.Milliseconds())
		if m != nil {
			m.Requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
			m.Duration.WithLabelValues(c.Request.Method, route).Observe(took.Seconds())
		}
	}
}

func limitBody(c *gin.Context) {
	limit, ok := bodyLimits[c.FullPath()]
	if !ok {
		limit = maxBody
	}
	if c.Request.ContentLength > limit {
		problem(c, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("at most %d bytes", limit))
		c.Abort()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}
