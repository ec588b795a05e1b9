package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/workflows"
)

const principalKey = "dsrflow.principal"

// Principal is who holds the API key, or an error wrapping
// store.ErrNotFound for an unknown or revoked key.
func (s *Server) Principal(ctx context.Context, key string) (auth.Principal, error) {
	hash := auth.Hash(strings.TrimSpace(key))
	k, err := s.Store.APIKeyByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		s.keys.forget(hash)
		return auth.Principal{}, err
	}
	if err != nil {
		// The store is down: a key seen lately still opens requests, which
		// need only Temporal.
		if p, ok := s.keys.get(hash); ok {
			return p, nil
		}
		return auth.Principal{}, err
	}
	p := auth.Principal{KeyID: k.ID, Name: k.Name, Role: auth.Role(k.Role), Tenants: strings.Split(k.Tenants, ",")}
	s.keys.remember(hash, p)
	return p, nil
}

// keyCache remembers the holders of API keys, so that a store outage does
// not shut every caller out: while the store does not answer, a key it
// confirmed within keyStale is still taken. While it answers, it is asked
// every time, so a revocation takes effect at once.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	p  auth.Principal
	at time.Time
}

const keyStale = time.Hour

func (c *keyCache) get(hash string) (auth.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[hash]
	if !ok || time.Since(k.at) > keyStale {
		return auth.Principal{}, false
	}
	return k.p, true
}

func (c *keyCache) remember(hash string, p auth.Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedKey{}
	}
	c.m[hash] = cachedKey{p: p, at: time.Now()}
}

func (c *keyCache) forget(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

// authenticate admits a request whose bearer key is valid and carries one
// of roles.
func (s *Server) authenticate(roles []auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			c.Header("WWW-Authenticate", `Bearer realm="dsrflow"`)
			problem(c, http.StatusUnauthorized, "unauthenticated", "send Authorization: Bearer <API key>")
			c.Abort()
			return
		}
		p, err := s.Principal(c.Request.Context(), token)
		if errors.Is(err, store.ErrNotFound) {
			c.Header("WWW-Authenticate", `Bearer realm="dsrflow", error="invalid_token"`)
			problem(c, http.StatusUnauthorized, "unauthenticated", "unknown or revoked API key")
			c.Abort()
			return
		}
		if err != nil {
			slog.Error("look up api key", "error", err)
			problem(c, http.StatusServiceUnavailable, "cannot check the API key now", "the database did not answer; retry later")
			c.Abort()
			return
		}
		if !slices.Contains(roles, p.Role) {
			problem(c, http.StatusForbidden, "forbidden", fmt.Sprintf("the %s role may not call %s %s", p.Role, c.Request.Method, c.FullPath()))
			c.Abort()
			return
		}
		c.Set(principalKey, p)
		c.Next()
	}
}

// principal is the caller of an authenticated route.
func principal(c *gin.Context) auth.Principal {
	p, _ := c.MustGet(principalKey).(auth.Principal)
	return p
}

// actor names who acted in the audit trail: the key always, and the person
// the caller names, if any.
func actor(p auth.Principal, given string) string {
	if given = strings.TrimSpace(given); given != "" {
		return given + " via key:" + p.Name
	}
	return "key:" + p.Name
}

// visibleCase is the case ID of the route if the caller may see that case.
// It answers itself when not: 404 for a malformed ID, a case of another
// tenant or (for a portal key) one it did not open, exactly as for a case
// that does not exist, so that IDs leak nothing. Nor does the time the
// answer takes: see caseOwner.
func (s *Server) visibleCase(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if _, err := uuid.Parse(id); err != nil {
		problem(c, http.StatusNotFound, "no such case", "")
		return "", false
	}
	p := principal(c)
	visible := func(tenant, openedBy string) bool {
		return p.ActsFor(tenant) && (p.Role != auth.Portal || openedBy == p.KeyID)
	}
	tenant, openedBy, err := s.caseOwner(c.Request.Context(), id, visible)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		slog.Warn("find case owner", "case", id, "error", err)
		problem(c, http.StatusServiceUnavailable, "cannot read the case now", "the store or the workflow engine did not answer")
		return "", false
	case visible(tenant, openedBy):
		return id, true
	}
	problem(c, http.StatusNotFound, "no such case", "")
	return "", false
}

// caseOwner finds a case's tenant and opener: in the store, or from its
// workflow for a case opened a moment ago and not projected yet, or while
// the store does not answer.
//
// A case of the store that the caller may not see takes the same way as a
// case the store lacks: the store read, then the workflow query and its
// decoding. Answering from the row alone made another tenant's case
// (about 1.8 ms) tell itself apart from no case at all (4.5 ms, the query
// included); now both do the same work and visibility is decided after.
func (s *Server) caseOwner(ctx context.Context, id string, visible func(tenant, openedBy string) bool) (tenant, openedBy string, err error) {
	row, storeErr := s.Store.Case(ctx, id)
	if storeErr == nil && visible(row.Tenant, row.OpenedBy) {
		return row.Tenant, row.OpenedBy, nil
	}
	// Not projected yet, the store is down, or not the caller's: the
	// workflow is asked in every case.
	st, err := s.workflowOwner(ctx, id)
	switch {
	case storeErr == nil && err != nil && !errors.Is(err, store.ErrNotFound):
		// As for a case the store lacks while the engine is down: a 404
		// here and a 503 there would tell the two apart as well.
		return "", "", err
	case storeErr == nil:
		// The row is the truth; the query was for the time it takes.
		return row.Tenant, row.OpenedBy, nil
	case errors.Is(err, store.ErrNotFound) && !errors.Is(storeErr, store.ErrNotFound):
		return "", "", storeErr
	case err != nil:
		return "", "", err
	}
	return st.Tenant, st.OpenedBy, nil
}

// workflowOwner is the case's state as its workflow reports it, or
// store.ErrNotFound when the engine knows no such workflow.
func (s *Server) workflowOwner(ctx context.Context, id string) (workflows.State, error) {
	var st workflows.State
	resp, err := s.Temporal.QueryWorkflow(ctx, workflows.WorkflowID(id), "", workflows.StateQuery)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return st, store.ErrNotFound
	}
	if err != nil {
		return st, err
	}
	if err := resp.Get(&st); err != nil {
		return st, err
	}
	return st, nil
}
