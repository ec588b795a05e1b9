package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/workflows"
)

// event is an audit event with its detail opened.
type event struct {
	api.EventView
	Fields map[string]string
}

// Pairs lists the detail in a stable order, long lists left out: the
// attachments and notices have their own sections.
func (e event) Pairs() [][2]string {
	keys := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		if k != "attachment_list" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, e.Fields[k]}
	}
	return out
}

type notice struct {
	At                                      time.Time
	Kind, Channel, Recipient, State, Reason string
}

type attachment struct {
	workflows.Attachment
	At time.Time
}

type caseData struct {
	page
	Case        api.CaseView
	Days        daysLeft
	Events      []event
	Notices     []notice
	Attachments []attachment
	EventsError *problem
	Types       []string
	DenyReasons []string
	Pending     []workflows.CorrectionItem
	Failed      string // the action whose form the error belongs to
	Form        map[string]string
	Done        string
	DoneAction  string
	// Controller is the receiving controller the request named; the case
	// keeps it only in its opening event.
	Controller string
	now        time.Time
}

// Open reports whether the case still takes actions.
func (d caseData) Open() bool { return !d.Case.Status.Closed() }

func (d caseData) cancellation() *workflows.Cancellation {
	if d.Case.Fulfilment == nil || d.Case.Status.Closed() {
		return nil
	}
	return d.Case.Fulfilment.Cancellation
}

// AwaitingSettlement: the account has something to settle (a balance, say)
// and the engine waits for the requester; staff may ask for a recheck.
func (d caseData) AwaitingSettlement() bool {
	c := d.cancellation()
	return c != nil && d.Status(string(request.AwaitingRequester)) && len(c.Obstacles) > 0
}

// AwaitingConfirmation: nothing is left to settle and the engine waits for
// the requester to confirm that the cancellation is permanent.
func (d caseData) AwaitingConfirmation() bool {
	c := d.cancellation()
	return c != nil && d.Status(string(request.AwaitingRequester)) && len(c.Obstacles) == 0 && c.ConfirmedAt == nil
}

// CancellationWaits: the requester is awaited by the cancellation itself,
// which resumes on its own (recheck, confirmation), not on "information
// received".
func (d caseData) CancellationWaits() bool { return d.AwaitingSettlement() || d.AwaitingConfirmation() }

// Revocable: the requester may still change their mind, until the account
// is deactivated; the API refuses once the cooling-off period is over.
func (d caseData) Revocable() bool {
	c := d.cancellation()
	return c != nil && !c.Revoked && c.DeactivatedAt == nil
}

// Expired reports whether a link's expiry has passed.
func (d caseData) Expired(t time.Time) bool { return !t.IsZero() && !d.now.Before(t) }

// TaskValue is what was typed into a task's form that the API refused.
func (d caseData) TaskValue(taskID, field string) string {
	if d.Failed != "complete-task" || d.Form["task_id"] != taskID {
		return ""
	}
	return d.Form[field]
}

func (c *Console) casePage(g *gin.Context) {
	c.showCase(g, http.StatusOK, "", nil, nil)
}

// showCase renders a case: one call for the case, one for its events.
// failed and refusal put an action's refusal next to its form, with what
// was typed in it.
func (c *Console) showCase(g *gin.Context, status int, failed string, refusal *problem, form map[string]string) {
	l, s := lang(g), sess(g)
	id := g.Param("id")
	d := caseData{page: c.page(g, l.T("case.details")), Failed: failed, Form: form, now: c.opts.Now()}
	d.Error = refusal
	switch a := g.Query("done"); {
	case refusal != nil || a == "":
	case a == "open":
		d.Done, d.DoneAction = l.T("new.opened"), a
	default:
		d.Done, d.DoneAction = l.Enum("act", a)+" — "+l.T("case.done"), a
	}
	ctx := g.Request.Context()
	if err := c.call(ctx, g.Request, s.Key, http.MethodGet, "/v1/requests/"+id, nil, &d.Case, ""); err != nil {
		c.apiFailed(g, err)
		return
	}
	if p, ok := c.opts.Policies.Get(d.Case.PolicyID); ok && p.Location != nil {
		d.loc = p.Location
	}
	d.Title = d.Case.Reference
	if d.Case.Due != nil && !d.Case.Status.Closed() {
		d.Days = countDaysLeft(c.opts.Policies, d.Case.PolicyID, d.Case.Due.Date.String(), c.opts.Now())
	}
	var evs struct {
		Events []api.EventView `json:"events"`
	}
	err := c.call(ctx, g.Request, s.Key, http.MethodGet, "/v1/requests/"+id+"/events", nil, &evs, "")
	var p *problem
	switch {
	case errors.As(err, &p) && p.Status == http.StatusUnauthorized:
		c.apiFailed(g, err)
		return
	case errors.As(err, &p):
		// The case shows without its trail rather than not at all.
		d.EventsError = p
	case err != nil:
		c.apiFailed(g, err)
		return
	}
	for _, ev := range evs.Events {
		e := event{EventView: ev, Fields: map[string]string{}}
		if len(ev.Detail) > 0 {
			_ = json.Unmarshal(ev.Detail, &e.Fields) // details are flat strings; anything else shows no detail
		}
		d.Events = append(d.Events, e)
		if ev.Kind == "case.opened" {
			d.Controller = e.Fields["controller"]
		}
		switch {
		case strings.HasPrefix(ev.Kind, "notice."):
			d.Notices = append(d.Notices, notice{At: ev.OccurredAt, Kind: e.Fields["kind"], Channel: e.Fields["channel"],
				Recipient: e.Fields["recipient"], State: strings.TrimPrefix(ev.Kind, "notice."), Reason: e.Fields["reason"]})
		case e.Fields["attachment_list"] != "":
			var list []workflows.Attachment
			if json.Unmarshal([]byte(e.Fields["attachment_list"]), &list) == nil {
				for _, a := range list {
					d.Attachments = append(d.Attachments, attachment{Attachment: a, At: ev.OccurredAt})
				}
			}
		}
	}
	d.Types = names(request.Types)
	d.DenyReasons = names(request.DenialReasons)
	if f := d.Case.Fulfilment; f != nil {
		for _, ci := range f.Corrections {
			if ci.Decision == workflows.DecisionPending || ci.Decision == "" {
				d.Pending = append(d.Pending, ci)
			}
		}
	}
	c.render(g, status, "case", d)
}

// Status reports whether the case is in one of the statuses, for the
// template to offer only actions that fit.
func (d caseData) Status(statuses ...string) bool {
	return slices.Contains(statuses, string(d.Case.Status))
}

// Value is what the user typed into a field of the failed form.
func (d caseData) Value(action, field string) string {
	if d.Failed != action {
		return ""
	}
	return d.Form[field]
}

// actionBody turns an action's form into the API's JSON body. The keys
// are the API's; the API validates everything.
func actionBody(action string, form func(string) string, formArray func(string) []string) (any, *problem) {
	switch action {
	case "verify":
		return map[string]any{"method": workflows.MethodManual, "note": form("note")}, nil
	case "resend-code", "request-info", "info-received", "withdraw", "note",
		"issue-link", "recheck", "confirm-cancellation", "revoke-cancellation":
		return map[string]any{"note": form("note")}, nil
	case "extend":
		body := map[string]any{"reason": form("reason")}
		if a := strings.TrimSpace(form("amount")); a != "" {
			n, err := strconv.Atoi(a)
			if err != nil {
				return nil, localProblem("amount", "a whole number")
			}
			body["amount"] = n
		}
		return body, nil
	case "deny":
		return map[string]any{"reason": form("reason"), "explanation": form("explanation")}, nil
	case "complete":
		return map[string]any{"summary": form("summary")}, nil
	case "classify":
		return map[string]any{"type": form("type")}, nil
	case "assign":
		return map[string]any{"assignee": strings.TrimSpace(form("assignee"))}, nil
	case "complete-task":
		return map[string]any{"task_id": form("task_id"), "evidence": form("evidence")}, nil
	case "decide-corrections":
		decisions := []map[string]any{}
		for _, field := range formArray("field") {
			choice, reason := form("decision."+field), strings.TrimSpace(form("reason."+field))
			switch choice {
			case "":
				continue // undecided: left pending
			case "reject":
				// The API would name the decision by its index in the
				// body; the form names the field.
				if reason == "" {
					return nil, localProblem(field, "a rejection needs a reason; the requester is told it")
				}
			}
			decisions = append(decisions, map[string]any{"field": field, "approve": choice == "approve", "reason": reason})
		}
		return map[string]any{"decisions": decisions}, nil
	}
	return nil, nil
}

// localProblem is a mistake the console sees before asking the API.
func localProblem(field, reason string) *problem {
	p := &problem{Status: http.StatusUnprocessableEntity, Title: "invalid request", Detail: field + ": " + reason}
	p.Errors = append(p.Errors, struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	}{field, reason})
	return p
}

// act takes an action on a case through the API and shows the case again:
// with the result, or with the refusal next to the form.
func (c *Console) act(g *gin.Context) {
	l, s := lang(g), sess(g)
	action := g.Param("action")
	body, local := actionBody(action, g.PostForm, g.PostFormArray)
	if body == nil && local == nil {
		c.fail(g, http.StatusNotFound, l.T("problem.not_found"))
		return
	}
	_ = g.Request.ParseForm()
	form := map[string]string{}
	for k, v := range g.Request.PostForm {
		if k != "csrf" && len(v) > 0 {
			form[k] = v[0]
		}
	}
	if local != nil {
		c.showCase(g, local.Status, action, local, form)
		return
	}
	if m, ok := body.(map[string]any); ok && s.Actor != "" {
		m["actor"] = s.Actor
	}
	id := g.Param("id")
	err := c.call(g.Request.Context(), g.Request, s.Key, http.MethodPost, "/v1/requests/"+id+"/"+action, body, nil, g.PostForm("idem"))
	var p *problem
	switch {
	case errors.As(err, &p) && p.Status == http.StatusUnauthorized:
		c.apiFailed(g, err)
	case errors.As(err, &p):
		c.showCase(g, p.Status, action, p, form)
	case err != nil:
		c.apiFailed(g, err)
	default:
		g.Redirect(http.StatusSeeOther, basePath+"cases/"+id+"?done="+action+"#top")
	}
}
