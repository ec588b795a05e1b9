package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/render"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// policyInfo is a policy as GET /v1/policies lists it.
type policyInfo struct {
	ID           string `json:"id"`
	Description  string `json:"description"`
	Deadline     string `json:"deadline"`
	ClockStart   string `json:"clock_start"`
	Extension    string `json:"extension"`
	TimeZone     string `json:"time_zone"`
	Jurisdiction string `json:"-"`
}

// jurisdictions orders the form's choices; a policy belongs to the one its
// time zone names, which is how the presets and most configs are written.
var jurisdictions = []string{"cn", "eu", "uk", "us-ca", "br", "other"}

func jurisdictionOf(p policyInfo) string {
	switch {
	case p.TimeZone == "Asia/Shanghai" || strings.HasPrefix(p.ID, "cn"):
		return "cn"
	case p.TimeZone == "Europe/London" || strings.HasPrefix(p.ID, "uk"):
		return "uk"
	case strings.HasPrefix(p.TimeZone, "Europe/"):
		return "eu"
	case p.TimeZone == "America/Los_Angeles":
		return "us-ca"
	case p.TimeZone == "America/Sao_Paulo":
		return "br"
	}
	return "other"
}

// intakeChannels are the ways staff take requests by hand.
var intakeChannels = []string{string(request.ChannelPhone), string(request.ChannelMail), string(request.ChannelInPerson)}

type newData struct {
	page
	Policies      []policyInfo
	Jurisdictions []string
	Types         []string
	Channels      []string
	Languages     []string
	ActingFors    []string
	Tenants       []string // the key's tenants, unless it has all
	Grounds       []string
	Form          map[string]string
	// Corrections are the rows of the correction table, as typed.
	Corrections  []corrRow
	Preview      *preview
	PreviewError *problem
	// sent maps the API's corrections[i] to the form's row: empty rows are
	// not sent, so the indexes differ.
	sent []int
}

// corrRow is a row of the new request's correction table.
type corrRow struct {
	Field, Value string
}

// corrRows is how many correction rows the form offers at first; the
// script adds more.
const corrRows = 3

// FieldError is what the API said about one of the form's fields, for the
// form to show next to it; empty when it said nothing.
func (d newData) FieldError(field string) string {
	if d.Error == nil {
		return ""
	}
	var out []string
	for _, e := range d.Error.Errors {
		if e.Field == field {
			out = append(out, e.Reason)
		}
	}
	return strings.Join(out, "; ")
}

// CorrError is what the API said about a correction row's field or value
// ("field" or "value").
func (d newData) CorrError(row int, part string) string {
	for i, r := range d.sent {
		if r == row {
			return d.FieldError(fmt.Sprintf("corrections[%d].%s", i, part))
		}
	}
	return ""
}

// typeNeeds says which of the form's type-specific parts a request type
// takes; the API refuses the others.
func typeNeeds(typ, part string) bool {
	switch part {
	case "corrections":
		return typ == string(request.Correction)
	case "grounds":
		return typ == string(request.Deletion) || typ == string(request.AccountCancellation)
	case "controller":
		return typ == string(request.Portability)
	}
	return false
}

// preview is the schedule a request would get.
type preview struct {
	Schedule policy.Schedule
	Working  bool
}

var newFields = []string{"tenant", "jurisdiction", "policy_id", "type", "channel", "received_at", "name", "email",
	"phone", "account_id", "language", "acting_for", "details", "grounds", "controller"}

func (c *Console) newData(g *gin.Context) (newData, error) {
	l, s := lang(g), sess(g)
	d := newData{page: c.page(g, l.T("nav.new")), Jurisdictions: jurisdictions, Types: names(request.Types),
		Channels: intakeChannels, Languages: names(request.Languages), ActingFors: names(request.ActingFors),
		Grounds: names(request.DeletionGrounds), Corrections: make([]corrRow, corrRows),
		Form: map[string]string{"channel": string(request.ChannelPhone), "language": string(l)}}
	if !slices.Contains(s.Tenants, auth.AllTenants) {
		d.Tenants = s.Tenants
	}
	var out struct {
		Policies []policyInfo `json:"policies"`
	}
	if err := c.call(g.Request.Context(), g.Request, s.Key, http.MethodGet, "/v1/policies", nil, &out, ""); err != nil {
		return d, err
	}
	for _, p := range out.Policies {
		p.Jurisdiction = jurisdictionOf(p)
		d.Policies = append(d.Policies, p)
	}
	return d, nil
}

func (c *Console) newPage(g *gin.Context) {
	d, err := c.newData(g)
	if err != nil {
		c.apiFailed(g, err)
		return
	}
	c.render(g, http.StatusOK, "new", d)
}

// receivedAt reads the form's local date and time in the policy's zone;
// empty means now.
func (c *Console) receivedAt(policyID, v string) (time.Time, *problem) {
	if strings.TrimSpace(v) == "" {
		return c.opts.Now(), nil
	}
	loc := time.UTC
	if p, ok := c.opts.Policies.Get(policyID); ok && p.Location != nil {
		loc = p.Location
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
	if err != nil {
		return time.Time{}, localProblem("received_at", "a date and time such as 2026-03-01T10:00")
	}
	return t, nil
}

// schedule asks the API what dates a request would get.
func (c *Console) schedule(ctx context.Context, g *gin.Context, policyID, typ, received string) (*preview, *problem) {
	at, p := c.receivedAt(policyID, received)
	if p != nil {
		return nil, p
	}
	if policyID == "" {
		return nil, localProblem("policy_id", "required")
	}
	q := url.Values{"from": {at.Format(time.RFC3339)}}
	if typ != "" {
		q.Set("type", typ)
	}
	var out struct {
		Schedule policy.Schedule `json:"schedule"`
	}
	err := c.call(ctx, g.Request, sess(g).Key, http.MethodGet, "/v1/policies/"+url.PathEscape(policyID)+"/deadline?"+q.Encode(), nil, &out, "")
	if errors.As(err, &p) {
		return nil, p
	}
	if err != nil {
		return nil, &problem{Status: http.StatusBadGateway, Title: err.Error()}
	}
	pv := &preview{Schedule: out.Schedule}
	if pol, ok := c.opts.Policies.Get(policyID); ok {
		pv.Working = pol.Deadline.Unit == policy.WorkingDays
	}
	return pv, nil
}

// deadlineFragment answers the form's script with the preview, as HTML.
func (c *Console) deadlineFragment(g *gin.Context) {
	d := newData{page: c.page(g, "")}
	d.Preview, d.PreviewError = c.schedule(g.Request.Context(), g, g.Query("policy_id"), g.Query("type"), g.Query("received_at"))
	g.Render(http.StatusOK, renderFragment(c.pages["new"], "deadline", d))
}

func (c *Console) openRequest(g *gin.Context) {
	s := sess(g)
	d, err := c.newData(g)
	if err != nil {
		c.apiFailed(g, err)
		return
	}
	for _, k := range newFields {
		d.Form[k] = g.PostForm(k)
	}
	f := d.Form
	fields, values := g.PostFormArray("corr_field"), g.PostFormArray("corr_value")
	d.Corrections = d.Corrections[:0]
	for i := range max(len(fields), len(values)) {
		var r corrRow
		if i < len(fields) {
			r.Field = strings.TrimSpace(fields[i])
		}
		if i < len(values) {
			r.Value = values[i]
		}
		d.Corrections = append(d.Corrections, r)
	}
	for len(d.Corrections) < corrRows {
		d.Corrections = append(d.Corrections, corrRow{})
	}
	d.Preview, d.PreviewError = c.schedule(g.Request.Context(), g, f["policy_id"], f["type"], f["received_at"])
	if g.PostForm("op") == "preview" {
		c.render(g, http.StatusOK, "new", d)
		return
	}
	received, p := c.receivedAt(f["policy_id"], f["received_at"])
	if p != nil {
		d.Error = p
		c.render(g, p.Status, "new", d)
		return
	}
	channel := f["channel"]
	body := map[string]any{
		"tenant": strings.TrimSpace(f["tenant"]), "type": f["type"], "channel": channel, "policy_id": f["policy_id"],
		"requester": map[string]any{"name": strings.TrimSpace(f["name"]), "email": strings.TrimSpace(f["email"]),
			"phone": strings.TrimSpace(f["phone"]), "account_id": strings.TrimSpace(f["account_id"]),
			"language": f["language"], "acting_for": f["acting_for"]},
		"details": f["details"], "received_at": received.UTC().Format(time.RFC3339),
	}
	// Only the parts the type takes go along: a correction typed before the
	// type was changed to access is not a mistake to refuse.
	typ := f["type"]
	if typeNeeds(typ, "corrections") {
		var cs []map[string]string
		for i, r := range d.Corrections {
			if r.Field == "" && strings.TrimSpace(r.Value) == "" {
				continue
			}
			cs = append(cs, map[string]string{"field": r.Field, "value": r.Value})
			d.sent = append(d.sent, i)
		}
		if len(cs) > 0 {
			body["corrections"] = cs
		}
	}
	if gr := f["grounds"]; gr != "" && typeNeeds(typ, "grounds") {
		body["grounds"] = gr
	}
	if ctl := strings.TrimSpace(f["controller"]); ctl != "" && typeNeeds(typ, "controller") {
		body["controller"] = ctl
	}
	if s.Actor != "" {
		body["actor"] = s.Actor
	}
	var opened struct {
		ID string `json:"id"`
	}
	ctx := g.Request.Context()
	err = c.call(ctx, g.Request, s.Key, http.MethodPost, "/v1/requests", body, &opened, g.PostForm("idem"))
	switch {
	case errors.As(err, &p) && p.Status == http.StatusUnauthorized:
		c.apiFailed(g, err)
		return
	case errors.As(err, &p):
		d.Error = p
		c.render(g, p.Status, "new", d)
		return
	case err != nil:
		c.apiFailed(g, err)
		return
	}
	g.Redirect(http.StatusSeeOther, basePath+"cases/"+opened.ID+"?done=open")
}

func renderFragment(t *template.Template, name string, data any) render.HTML {
	return render.HTML{Template: t, Name: name, Data: data}
}
