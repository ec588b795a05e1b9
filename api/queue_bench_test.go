package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// seedMillion fills the cases table with 1,000,000 cases over ten tenants,
// with the mix of statuses, types, channels, assignees, due dates (every
// seventh without one) and overdue cases a busy office has, each drawn
// independently so that no filter is empty by accident.
const seedMillion = `
INSERT INTO cases (id, reference, tenant, type, channel, status, policy_id, extended, overdue,
  requester_name, requester_email, requester_phone, requester_account_id, language, acting_for,
  received_at, verified_at, due_at, closed_at, due_date, outcome, denial_reason, summary, assignee,
  opened_by, tags, revision, created_at, updated_at)
SELECT id, 'DSR-BENCH-' || g, 't' || (g % 10), type, channel, status, 'gdpr',
  false, status <> 'completed' AND coalesce(due_at < now(), false), 'Name ' || g, 'r' || g || '@example.test', '', '', 'en', 'self',
  now() - (g % 400) * interval '1 day', NULL, due_at,
  NULL, '', '', '', '', assignee, '', '', 1, now(), now()
FROM (
  SELECT g, md5(g::text)::uuid::text AS id,
    (ARRAY['access','deletion','correction'])[1 + abs(hashtext(g || 't')) % 3] AS type,
    (ARRAY['api','portal','email','phone','mail'])[1 + abs(hashtext(g || 'c')) % 5] AS channel,
    (ARRAY['in_progress','pending_verification','completed','awaiting_requester'])[1 + abs(hashtext(g || 's')) % 4] AS status,
    CASE WHEN abs(hashtext(g || 'a')) % 3 = 0 THEN 'staff' || (abs(hashtext(g || 'a')) % 60) ELSE '' END AS assignee,
    CASE WHEN g % 7 = 0 THEN NULL
      ELSE now() + ((abs(hashtext(g || 'd')) % 90) - 30) * interval '1 day' + (g % 86400) * interval '1 second' END AS due_at
  FROM generate_series(1, 1000000) AS g
) AS seed`

// queues are the first pages a DPO key of tenant t3 asks for: the default
// queue and the filters an office uses all day, each with the SQL the API
// runs for it.
var queues = []struct {
	name, query, where string
	args               []any
}{
	{"default", "", "", nil},
	{"assignee", "assignee=staff3", "AND assignee = ?", []any{"staff3"}},
	{"overdue", "overdue=true", "AND overdue = ?", []any{true}},
	{"type+status", "type=deletion&status=in_progress", "AND status IN (?) AND type IN (?)", []any{[]string{"in_progress"}, []string{"deletion"}}},
	{"channel", "channel=phone", "AND channel IN (?)", []any{[]string{"phone"}}},
}

// BenchmarkQueueMillion times DPO queues over a million cases in Postgres
// through the API (HTTP, auth, JSON) and the same SQL run directly, in one
// run: compare each queue's api with its sql.
func BenchmarkQueueMillion(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million rows")
	}
	ctx := context.Background()
	st := storetest.Open(b, store.Postgres)
	start := time.Now()
	if err := st.DB().WithContext(ctx).Exec(seedMillion).Error; err != nil {
		b.Fatal(err)
	}
	if err := st.DB().WithContext(ctx).Exec("ANALYZE cases").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 1,000,000 cases in %s", time.Since(start).Round(time.Second))

	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Store: st, Policies: reg}).Handler())
	defer srv.Close()
	key := newKey(b, st, auth.DPO, "t3")

	for _, q := range queues {
		b.Run(q.name+"/api", func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				req, _ := http.NewRequest("GET", srv.URL+"/v1/requests?"+q.query, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				t0 := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			reportLatency(b, lat)
		})
		b.Run(q.name+"/sql", func(b *testing.B) {
			sql := "SELECT * FROM cases WHERE tenant IN (?) " + q.where + " ORDER BY due_at ASC NULLS LAST, id ASC LIMIT 51"
			args := append([]any{[]string{"t3"}}, q.args...)
			var lat []time.Duration
			for b.Loop() {
				var rows []store.Case
				t0 := time.Now()
				if err := st.DB().WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				if len(rows) != 51 {
					b.Fatalf("%d rows", len(rows))
				}
			}
			reportLatency(b, lat)
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
