package metrics

import (
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/sdk/client"
)

// Temporal receives the Temporal SDK's own metrics (requests and their
// failures, workflow and activity task latencies, pollers, sticky cache)
// and exposes them to Prometheus under the SDK's names. Register it on a
// registry and pass Handler() as the client's MetricsHandler.
//
// The SDK creates series by name and tag set as it goes, so this is a
// collector over whatever it has created, not a fixed set of vectors. Its
// tags name namespaces, task queues and workflow or activity types, never a
// workflow ID or a payload.
type Temporal struct {
	mu     sync.Mutex
	series map[string]*sdkSeries
}

type sdkKind int

const (
	sdkCounter sdkKind = iota
	sdkGauge
	sdkTimer
)

type sdkSeries struct {
	kind   sdkKind
	name   string
	labels map[string]string

	count atomic.Int64         // counter
	gauge atomic.Uint64        // gauge, as float64 bits
	timer prometheus.Histogram // timer, in seconds
}

// NewTemporal returns an empty SDK metrics collector.
func NewTemporal() *Temporal { return &Temporal{series: map[string]*sdkSeries{}} }

// Handler is the SDK side of t.
func (t *Temporal) Handler() client.MetricsHandler { return sdkHandler{t: t} }

type sdkHandler struct {
	t    *Temporal
	tags map[string]string
}

func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range tags {
		merged[labelName(k)] = v
	}
	return sdkHandler{t: h.t, tags: merged}
}

func (h sdkHandler) Counter(name string) client.MetricsCounter {
	return h.t.get(sdkCounter, name, h.tags)
}
func (h sdkHandler) Gauge(name string) client.MetricsGauge { return h.t.get(sdkGauge, name, h.tags) }
func (h sdkHandler) Timer(name string) client.MetricsTimer { return h.t.get(sdkTimer, name, h.tags) }

func (s *sdkSeries) Inc(d int64)            { s.count.Add(d) }
func (s *sdkSeries) Update(v float64)       { s.gauge.Store(math.Float64bits(v)) }
func (s *sdkSeries) Record(d time.Duration) { s.timer.Observe(d.Seconds()) }

func (t *Temporal) get(kind sdkKind, name string, tags map[string]string) *sdkSeries {
	name = labelName(name)
	keys := slices.Sorted(maps.Keys(tags))
	var id strings.Builder
	id.WriteString(string(rune('0'+kind)) + name)
	for _, k := range keys {
		id.WriteString("\x00" + k + "\x00" + tags[k])
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.series[id.String()]; ok {
		return s
	}
	s := &sdkSeries{kind: kind, name: name, labels: maps.Clone(tags)}
	if kind == sdkTimer {
		s.timer = prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Buckets: prometheus.DefBuckets})
	}
	t.series[id.String()] = s
	return s
}

// Describe sends nothing: the series are not known in advance, which makes
// t an unchecked collector.
func (t *Temporal) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector. A family must have one set of
// label names, so a series lacking a label its siblings carry gets it
// empty.
func (t *Temporal) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	all := slices.Collect(maps.Values(t.series))
	t.mu.Unlock()

	byName := map[string][]*sdkSeries{}
	for _, s := range all {
		byName[s.name] = append(byName[s.name], s)
	}
	for name, family := range byName {
		// The SDK never reuses a name across kinds; if it did, the first
		// kind seen wins and the rest are dropped rather than failing the
		// whole scrape.
		kind := family[0].kind
		labelSet := map[string]bool{}
		for _, s := range family {
			for k := range s.labels {
				labelSet[k] = true
			}
		}
		labels := slices.Sorted(maps.Keys(labelSet))
		desc := prometheus.NewDesc(name, "Temporal SDK metric "+name+".", labels, nil)
		for _, s := range family {
			if s.kind != kind {
				continue
			}
			values := make([]string, len(labels))
			for i, l := range labels {
				values[i] = s.labels[l]
			}
			switch kind {
			case sdkCounter:
				ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(s.count.Load()), values...)
			case sdkGauge:
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, math.Float64frombits(s.gauge.Load()), values...)
			case sdkTimer:
				var m dto.Metric
				if err := s.timer.Write(&m); err != nil {
					continue
				}
				h := m.GetHistogram()
				buckets := make(map[float64]uint64, len(h.GetBucket()))
				for _, b := range h.GetBucket() {
					buckets[b.GetUpperBound()] = b.GetCumulativeCount()
				}
				ch <- prometheus.MustNewConstHistogram(desc, h.GetSampleCount(), h.GetSampleSum(), buckets, values...)
			}
		}
	}
}

// labelName makes an SDK name or tag a valid Prometheus name.
func labelName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}
