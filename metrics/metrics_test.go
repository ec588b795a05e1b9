package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dsrflow/dsrflow/metrics"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

func TestCasesFromTheStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	for i, c := range []struct {
		typ, status, outcome string
		overdue              bool
		tookDays             int
	}{
		{"access", "in_progress", "", true, 0},
		{"access", "in_progress", "", false, 0},
		{"access", "completed", "completed", true, 10}, // closed: not counted overdue
		{"deletion", "denied", "denied", false, 2},
		{"deletion", "pending_verification", "", false, 0},
	} {
		id := string(rune('a'+i)) + "-case"
		received := time.Now().Add(-30 * 24 * time.Hour)
		var closedAt *time.Time
		if c.tookDays > 0 {
			at := received.AddDate(0, 0, c.tookDays)
			closedAt = &at
		}
		if err := st.SaveCase(ctx, &store.Case{ID: id, Reference: "DSR-" + id, Tenant: "shop", Type: c.typ,
			Channel: "api", Status: c.status, Outcome: c.outcome, Overdue: c.overdue, PolicyID: "gdpr",
			RequesterEmail: "li.lei@example.test", ReceivedAt: received, ClosedAt: closedAt, Revision: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range []string{"notice.sent", "notice.sent", "notice.failed"} {
		if _, err := st.AppendEvent(ctx, &store.Event{CaseID: "a-case", Key: kind + time.Now().String(), Kind: kind,
			Actor: "system", Detail: "{}", OccurredAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCases(st))
	want := `
# HELP dsr_cases_open Open cases by type and status.
# TYPE dsr_cases_open gauge
dsr_cases_open{status="in_progress",type="access"} 2
dsr_cases_open{status="pending_verification",type="deletion"} 1
# HELP dsr_cases_overdue Open cases past their deadline, by type.
# TYPE dsr_cases_overdue gauge
dsr_cases_overdue{type="access"} 1
# HELP dsr_cases_closed_total Closed cases by type and outcome.
# TYPE dsr_cases_closed_total counter
dsr_cases_closed_total{outcome="completed",type="access"} 1
dsr_cases_closed_total{outcome="denied",type="deletion"} 1
# HELP dsr_cases_opened_total Cases ever opened, by type.
# TYPE dsr_cases_opened_total counter
dsr_cases_opened_total{type="access"} 3
dsr_cases_opened_total{type="deletion"} 2
# HELP dsr_case_time_to_close_seconds Time from receipt to closure of closed cases, by type.
# TYPE dsr_case_time_to_close_seconds histogram
dsr_case_time_to_close_seconds_bucket{type="access",le="86400"} 0
dsr_case_time_to_close_seconds_bucket{type="access",le="259200"} 0
dsr_case_time_to_close_seconds_bucket{type="access",le="604800"} 0
dsr_case_time_to_close_seconds_bucket{type="access",le="1.296e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="access",le="1.8144e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="access",le="2.592e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="access",le="3.888e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="access",le="5.184e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="access",le="7.776e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="access",le="1.5552e+07"} 1
dsr_case_time_to_close_seconds_bucket{type="access",le="+Inf"} 1
dsr_case_time_to_close_seconds_sum{type="access"} 864000
dsr_case_time_to_close_seconds_count{type="access"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="86400"} 0
dsr_case_time_to_close_seconds_bucket{type="deletion",le="259200"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="604800"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="1.296e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="1.8144e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="2.592e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="3.888e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="5.184e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="7.776e+06"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="1.5552e+07"} 1
dsr_case_time_to_close_seconds_bucket{type="deletion",le="+Inf"} 1
dsr_case_time_to_close_seconds_sum{type="deletion"} 172800
dsr_case_time_to_close_seconds_count{type="deletion"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "dsr_cases_open", "dsr_cases_overdue",
		"dsr_cases_closed_total", "dsr_cases_opened_total", "dsr_case_time_to_close_seconds"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(metricOf(t, reg, "dsr_audit_events_total", "notice.sent")); got != 2 {
		t.Errorf("notice.sent = %v", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader("# HELP dsr_store_up 1 if the store answered this scrape.\n# TYPE dsr_store_up gauge\ndsr_store_up 1\n"), "dsr_store_up"); err != nil {
		t.Error(err)
	}
	// The store gone: the scrape says so instead of failing.
	st.Close()
	if err := testutil.GatherAndCompare(reg, strings.NewReader("# HELP dsr_store_up 1 if the store answered this scrape.\n# TYPE dsr_store_up gauge\ndsr_store_up 0\n"), "dsr_store_up"); err != nil {
		t.Error(err)
	}
}

// metricOf picks one labelled series out of a gather, as a collector.
func metricOf(t *testing.T, reg *prometheus.Registry, name, label string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == label {
				g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
				g.Set(m.GetCounter().GetValue())
				return g
			}
		}
	}
	t.Fatalf("%s{%s} not gathered", name, label)
	return nil
}
