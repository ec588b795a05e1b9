package console

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// openStatuses is the queue's default: what still needs work.
var openStatuses = "received,pending_verification,in_progress,awaiting_requester"

// summary is GET /v1/requests/summary.
type summary struct {
	ByStatus    map[string]int64 `json:"by_status"`
	Open        int64            `json:"open"`
	Overdue     int64            `json:"overdue"`
	DueThisWeek int64            `json:"due_this_week"`
}

type queueList struct {
	Cases      []queueItem `json:"cases"`
	NextCursor string      `json:"next_cursor"`
}

// queueItem is a case as the queue lists it.
type queueItem struct {
	api.QueueItem
}

// row is a queue line.
type row struct {
	queueItem
	Days   daysLeft
	Closed bool
}

type queueData struct {
	page
	Summary  summary
	Statuses []string
	Types    []string
	Channels []string
	Filter   map[string]string
	Rows     []row
	Next     string
	Open     template.HTML
	Closed   template.HTML
	ClosedBy string
}

// queueFilters are the queue's filters, named as the API names them, plus
// due_before as a plain date.
var queueFilters = []string{"status", "type", "tenant", "channel", "overdue", "due_before", "assignee", "reference"}

func (c *Console) queuePage(g *gin.Context) {
	l, s := lang(g), sess(g)
	d := queueData{page: c.page(g, l.T("queue.title")), Filter: map[string]string{}}
	d.Statuses, d.Types, d.Channels = names(request.Statuses), names(slices.Concat(request.Types, []request.Type{request.Unclassified})), names(request.Channels)
	q := url.Values{}
	for _, k := range queueFilters {
		v := strings.TrimSpace(g.Query(k))
		d.Filter[k] = v
		switch {
		case v == "":
		case k == "due_before":
			// A date means up to the end of that day, in UTC.
			if t, err := time.Parse("2006-01-02", v); err == nil {
				q.Set(k, t.Add(24*time.Hour-time.Second).Format(time.RFC3339))
			} else {
				q.Set(k, v) // the API explains what it wants
			}
		case k == "status" && v == "any":
		default:
			q.Set(k, v)
		}
	}
	if d.Filter["status"] == "" {
		q.Set("status", openStatuses)
	}
	if cur := g.Query("cursor"); cur != "" {
		q.Set("cursor", cur)
	}
	q.Set("limit", "50")
	ctx := g.Request.Context()
	if err := c.call(ctx, g.Request, s.Key, http.MethodGet, "/v1/requests/summary", nil, &d.Summary, ""); err != nil {
		c.apiFailed(g, err)
		return
	}
	var list queueList
	err := c.call(ctx, g.Request, s.Key, http.MethodGet, "/v1/requests?"+q.Encode(), nil, &list, "")
	var p *problem
	switch {
	case errors.As(err, &p) && p.Status == http.StatusUnprocessableEntity:
		// A bad filter: show the page with the API's words on it.
		d.Error = p
	case err != nil:
		c.apiFailed(g, err)
		return
	}
	now := c.opts.Now()
	for _, it := range list.Cases {
		r := row{queueItem: it, Closed: request.Status(it.Status).Closed()}
		if !r.Closed {
			r.Days = countDaysLeft(c.opts.Policies, it.PolicyID, it.DueDate, now)
		}
		d.Rows = append(d.Rows, r)
	}
	if list.NextCursor != "" {
		next := g.Request.URL.Query()
		next.Set("cursor", list.NextCursor)
		d.Next = basePath + "?" + next.Encode()
	}
	if err := c.charts(g, &d); err != nil {
		c.apiFailed(g, err)
		return
	}
	status := http.StatusOK
	if d.Error != nil {
		status = d.Error.Status
	}
	c.render(g, status, "queue", d)
}

// chartPages bounds how many pages of 500 cases a chart reads.
const chartPages = 4

// listAll reads up to chartPages pages of the queue.
func (c *Console) listAll(g *gin.Context, q url.Values) ([]queueItem, error) {
	var all []queueItem
	q.Set("limit", "500")
	for range chartPages {
		var list queueList
		if err := c.call(g.Request.Context(), g.Request, sess(g).Key, http.MethodGet, "/v1/requests?"+q.Encode(), nil, &list, ""); err != nil {
			return nil, err
		}
		all = append(all, list.Cases...)
		if list.NextCursor == "" {
			break
		}
		q.Set("cursor", list.NextCursor)
	}
	return all, nil
}

// charts draws the dashboard: open cases by days left, and closed cases
// per week with the share closed on time.
func (c *Console) charts(g *gin.Context, d *queueData) error {
	l := lang(g)
	now := c.opts.Now()
	open, err := c.listAll(g, url.Values{"status": {openStatuses}})
	if err != nil {
		return err
	}
	var days []daysLeft
	for _, it := range open {
		days = append(days, countDaysLeft(c.opts.Policies, it.PolicyID, it.DueDate, now))
	}
	d.Open = openChart(l, days)

	since := weekStart(now).AddDate(0, 0, -7*(closedWeeks-1))
	closed, err := c.listAll(g, url.Values{"status": {"completed,denied,withdrawn"},
		"closed_after": {since.Format(time.RFC3339)}})
	if err != nil {
		return err
	}
	var byDue bool
	d.Closed, byDue = closedChart(l, closed, since)
	if byDue {
		d.ClosedBy = l.T("chart.closed_by_due")
	}
	return nil
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
