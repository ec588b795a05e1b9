// Package metrics exposes the engine to Prometheus: case counts read from
// the store at scrape time, and the API's own request counters. No label
// ever carries personal data or a case ID.
package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dsrflow/dsrflow/store"
)

// EventKinds are the audit events counted: notices, verification outcomes
// and breaches.
var EventKinds = []string{"notice.sent", "notice.failed", "notice.not_sent", "case.verified",
	"verification.failed", "verification.locked", "verification.code_failed", "sla.breached", "sla.unknown"}

var closed = map[string]bool{"completed": true, "denied": true, "withdrawn": true}

// Cases collects case and audit-event counts from the store.
type Cases struct {
	Store   *store.Store
	Timeout time.Duration

	open, overdue, closedTotal, openedTotal, events, up, timeToClose *prometheus.Desc
}

// closeBounds are the time-to-close buckets, in days: the deadlines the
// policies set (15 days, 15 working days, a month, 45-day extensions) fall
// between them.
var closeBounds = func() []float64 {
	days := []float64{1, 3, 7, 15, 21, 30, 45, 60, 90, 180}
	for i := range days {
		days[i] *= 24 * 3600
	}
	return days
}()

// NewCases builds the collector; register it on a registry.
func NewCases(st *store.Store) *Cases {
	return &Cases{
		Store: st, Timeout: 5 * time.Second,
		open:        prometheus.NewDesc("dsr_cases_open", "Open cases by type and status.", []string{"type", "status"}, nil),
		overdue:     prometheus.NewDesc("dsr_cases_overdue", "Open cases past their deadline, by type.", []string{"type"}, nil),
		closedTotal: prometheus.NewDesc("dsr_cases_closed_total", "Closed cases by type and outcome.", []string{"type", "outcome"}, nil),
		openedTotal: prometheus.NewDesc("dsr_cases_opened_total", "Cases ever opened, by type.", []string{"type"}, nil),
		events:      prometheus.NewDesc("dsr_audit_events_total", "Audit events by kind (notices, verification outcomes, breaches).", []string{"kind"}, nil),
		up:          prometheus.NewDesc("dsr_store_up", "1 if the store answered this scrape.", nil, nil),
		timeToClose: prometheus.NewDesc("dsr_case_time_to_close_seconds", "Time from receipt to closure of closed cases, by type.", []string{"type"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Cases) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.overdue, c.closedTotal, c.openedTotal, c.events, c.up, c.timeToClose} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Cases) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	counts, err := c.Store.CountCases(ctx)
	var events map[string]int64
	if err == nil {
		events, err = c.Store.CountEvents(ctx, EventKinds)
	}
	var closeTimes []store.CloseTimes
	if err == nil {
		closeTimes, err = c.Store.CloseTimesByType(ctx, closeBounds)
	}
	if err != nil {
		slog.Warn("metrics: read the store", "error", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)

	type key struct{ a, b string }
	open, closedBy := map[key]float64{}, map[key]float64{}
	overdue, opened := map[string]float64{}, map[string]float64{}
	for _, n := range counts {
		opened[n.Type] += float64(n.N)
		if closed[n.Status] {
			closedBy[key{n.Type, n.Outcome}] += float64(n.N)
			continue
		}
		open[key{n.Type, n.Status}] += float64(n.N)
		if n.Overdue {
			overdue[n.Type] += float64(n.N)
		}
	}
	for k, v := range open {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, v, k.a, k.b)
	}
	for t, v := range overdue {
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, v, t)
	}
	for k, v := range closedBy {
		ch <- prometheus.MustNewConstMetric(c.closedTotal, prometheus.CounterValue, v, k.a, k.b)
	}
	for t, v := range opened {
		ch <- prometheus.MustNewConstMetric(c.openedTotal, prometheus.CounterValue, v, t)
	}
	for _, kind := range EventKinds {
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(events[kind]), kind)
	}
	for _, ct := range closeTimes {
		buckets := make(map[float64]uint64, len(closeBounds))
		for i, b := range closeBounds {
			buckets[b] = ct.AtOrUnder[i]
		}
		ch <- prometheus.MustNewConstHistogram(c.timeToClose, ct.Count, ct.Sum, buckets, ct.Type)
	}
}

// HTTP counts API requests by route pattern (never the path, which holds
// case IDs) and status, and times them.
type HTTP struct {
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec
}

// NewHTTP builds the request metrics and registers them on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dsr_http_requests_total",
			Help: "API requests by method, route pattern and status."}, []string{"method", "route", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dsr_http_request_seconds",
			Help: "API request duration by method and route pattern.", Buckets: prometheus.DefBuckets}, []string{"method", "route"}),
	}
	reg.MustRegister(h.Requests, h.Duration)
	return h
}
