package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dsrflow/dsrflow/metrics"
)

func TestTemporalSDKMetrics(t *testing.T) {
	sdk := metrics.NewTemporal()
	reg := prometheus.NewRegistry()
	reg.MustRegister(sdk)

	h := sdk.Handler().WithTags(map[string]string{"namespace": "default"})
	h.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(1)
	// A sibling without the operation tag gets it empty: one family, one
	// set of label names.
	h.Counter("temporal_request").Inc(1)
	h.WithTags(map[string]string{"poller_type": "workflow_task"}).Gauge("temporal_num_pollers").Update(2)
	timer := h.WithTags(map[string]string{"workflow-type": "Request"}).Timer("temporal_workflow_task_execution_latency")
	timer.Record(3 * time.Millisecond)
	timer.Record(2 * time.Second)

	want := `
# HELP temporal_request Temporal SDK metric temporal_request.
# TYPE temporal_request counter
temporal_request{namespace="default",operation=""} 1
temporal_request{namespace="default",operation="StartWorkflowExecution"} 3
# HELP temporal_num_pollers Temporal SDK metric temporal_num_pollers.
# TYPE temporal_num_pollers gauge
temporal_num_pollers{namespace="default",poller_type="workflow_task"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "temporal_request", "temporal_num_pollers"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, mf := range mfs {
		if mf.GetName() != "temporal_workflow_task_execution_latency" {
			continue
		}
		found = true
		m := mf.GetMetric()[0]
		if got := m.GetLabel()[1]; got.GetName() != "workflow_type" || got.GetValue() != "Request" {
			t.Errorf("label %v, want workflow_type=Request (the tag made a valid name)", got)
		}
		if h := m.GetHistogram(); h.GetSampleCount() != 2 || h.GetSampleSum() < 2.003 || h.GetSampleSum() > 2.0031 {
			t.Errorf("histogram count %d sum %v, want 2 and 2.003", h.GetSampleCount(), h.GetSampleSum())
		}
	}
	if !found {
		t.Error("timer not gathered")
	}
}
