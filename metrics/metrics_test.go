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
	}{
		{"access", "in_progress", "", true},
		{"access", "in_progress", "", false},
		{"access", "completed", "completed", true}, // closed: not counted overdue
		{"deletion", "denied", "denied", false},
		{"deletion", "pending_verification", "", false},
	} {
		id := string(rune('a'+i)) + "-case"
		if err := st.SaveCase(ctx, &store.Case{ID: id, Reference: "DSR-" + id, Tenant: "shop", Type: c.typ,
			Channel: "api", Status: c.status, Outcome: c.outcome, Overdue: c.overdue, PolicyID: "gdpr",
			RequesterEmail: "li.lei@example.test", ReceivedAt: time.Now(), Revision: 1}); err != nil {
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
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "dsr_cases_open", "dsr_cases_overdue",
		"dsr_cases_closed_total", "dsr_cases_opened_total"); err != nil {
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
