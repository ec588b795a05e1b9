package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
)

// QueueItem is a case as a queue lists it.
type QueueItem struct {
	ID            string     `json:"id"`
	Reference     string     `json:"reference"`
	Tenant        string     `json:"tenant"`
	Type          string     `json:"type"`
	Channel       string     `json:"channel"`
	Status        string     `json:"status"`
	PolicyID      string     `json:"policy_id"`
	DueDate       string     `json:"due_date,omitempty"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	Overdue       bool       `json:"overdue"`
	Extended      bool       `json:"extended"`
	ReceivedAt    time.Time  `json:"received_at"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	Assignee      string     `json:"assignee,omitempty"`
	Tags          []string   `json:"tags,omitempty"`
	RequesterName string     `json:"requester_name,omitempty"`
}

func queueItem(c store.Case) QueueItem {
	return QueueItem{ID: c.ID, Reference: c.Reference, Tenant: c.Tenant, Type: c.Type, Channel: c.Channel,
		Status: c.Status, PolicyID: c.PolicyID, DueDate: c.DueDate, DueAt: c.DueAt, Overdue: c.Overdue,
		Extended: c.Extended, ReceivedAt: c.ReceivedAt, ClosedAt: c.ClosedAt, Assignee: c.Assignee, Tags: c.TagList(),
		RequesterName: c.RequesterName}
}

// visibleTo limits a filter to what the caller may see.
func visibleTo(p auth.Principal, f *store.CaseFilter) {
	if !slices.Contains(p.Tenants, auth.AllTenants) {
		f.Tenants = p.Tenants
	}
	if p.Role == auth.Portal {
		f.OpenedBy = p.KeyID
	}
}

// listRequests is the DPO queue: cases from the store, soonest due first,
// filtered, a page at a time.
func (s *Server) listRequests(c *gin.Context) {
	f, errs := parseQueueFilter(c)
	if len(errs) > 0 {
		invalid(c, errs...)
		return
	}
	p := principal(c)
	asked := f.Tenants
	visibleTo(p, &f)
	if asked != nil {
		// A tenant the key does not act for shows nothing, as if empty.
		f.Tenants = slices.DeleteFunc(asked, func(t string) bool { return !p.ActsFor(t) })
	}
	cases, next, err := s.Store.ListCases(c.Request.Context(), f)
	if err != nil {
		slog.Error("list cases", "error", err)
		problem(c, http.StatusServiceUnavailable, "cannot list cases now", "the database did not answer; retry later")
		return
	}
	items := make([]QueueItem, len(cases))
	for i, cs := range cases {
		items[i] = queueItem(cs)
	}
	out := gin.H{"cases": items}
	if next != nil {
		out["next_cursor"] = encodeCursor(next)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) summarizeRequests(c *gin.Context) {
	var f store.CaseFilter
	visibleTo(principal(c), &f)
	sum, err := s.Store.SummarizeCases(c.Request.Context(), f, s.now())
	if err != nil {
		slog.Error("summarize cases", "error", err)
		problem(c, http.StatusServiceUnavailable, "cannot count cases now", "the database did not answer; retry later")
		return
	}
	c.JSON(http.StatusOK, sum)
}

// queueParams are the query parameters of the queue; anything else is an
// error, so a typo never silently widens a list.
var queueParams = []string{"status", "type", "tenant", "channel", "overdue", "due_before", "due_after",
	"received_from", "received_to", "closed_after", "assignee", "reference", "limit", "cursor"}

func parseQueueFilter(c *gin.Context) (store.CaseFilter, []FieldError) {
	var f store.CaseFilter
	var errs []FieldError
	bad := func(field, reason string) { errs = append(errs, FieldError{Field: field, Reason: reason}) }
	q := c.Request.URL.Query()
	for k, vs := range q {
		if !slices.Contains(queueParams, k) {
			bad(k, "unknown parameter (one of "+strings.Join(queueParams, ", ")+")")
			continue
		}
		// Values go to the database as they are: text it can hold or
		// nothing.
		for _, v := range vs {
			if !utf8.ValidString(v) {
				bad(k, "not valid UTF-8")
			} else if err := request.CheckText(v, request.SingleLine); err != nil {
				bad(k, err.Error())
			}
		}
	}
	list := func(name string, allowed []string) []string {
		var out []string
		for _, v := range q[name] {
			for _, part := range strings.Split(v, ",") {
				if allowed != nil && !slices.Contains(allowed, part) {
					bad(name, strconv.Quote(part)+" is not one of "+strings.Join(allowed, ", "))
				}
				out = append(out, part)
			}
		}
		return out
	}
	f.Statuses = list("status", names(request.Statuses))
	f.Types = list("type", names(append(slices.Clone(request.Types), request.Unclassified)))
	f.Channels = list("channel", names(request.Channels))
	if ts := list("tenant", nil); len(ts) > 0 {
		for _, t := range ts {
			if err := request.CheckTenant(t); err != nil {
				bad("tenant", err.Error())
			}
		}
		f.Tenants = ts
	}
	if v := q.Get("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("overdue", "true or false")
		}
		f.Overdue = &b
	}
	instant := func(name string) *time.Time {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad(name, "an RFC 3339 time such as 2026-03-01T00:00:00+08:00")
			return nil
		}
		return &t
	}
	f.DueBefore, f.DueAfter = instant("due_before"), instant("due_after")
	f.ReceivedFrom, f.ReceivedTo = instant("received_from"), instant("received_to")
	f.ClosedAfter = instant("closed_after")
	f.Assignee, f.Reference = q.Get("assignee"), q.Get("reference")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			bad("limit", "a number from 1 to 500")
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		cur, err := decodeCursor(v)
		if err != nil {
			bad("cursor", "not a cursor this API gave out")
		}
		f.After = cur
	}
	return f, errs
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

var errEmptyCursor = errors.New("cursor without a position")

// Cursors are opaque to clients: base64url of the position's JSON.
type cursorJSON struct {
	DueAt *time.Time `json:"d,omitempty"`
	ID    string     `json:"i"`
}

func encodeCursor(c *store.CaseCursor) string {
	b, _ := json.Marshal(cursorJSON{DueAt: c.DueAt, ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*store.CaseCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var c cursorJSON
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if c.ID == "" {
		return nil, errEmptyCursor
	}
	return &store.CaseCursor{DueAt: c.DueAt, ID: c.ID}, nil
}
