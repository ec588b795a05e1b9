package console

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/store"
)

// timelineItem matches one event of the case page's timeline: its seq, the
// time it happened and the time the trail recorded it.
var timelineItem = regexp.MustCompile(`(?s)<li class="ev" data-kind="([a-z._]+)" data-seq="(\d+)">.*?` +
	`<time class="when occurred" datetime="([^"]+)">[^<]+</time>.*?` +
	`<span class="hint recorded">recorded <time datetime="([^"]+)">[^<]+</time></span>`)

// The timeline reads in the trail's order and shows both times: a link
// issued before the notice above it keeps its earlier time, and the
// recording times never go back.
func TestTimelineShowsBothTimes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st := f.store
	row := &store.Case{ID: uuid.NewString(), Reference: "DSR-TEST-TIMELINE", Tenant: "shop", Type: "access",
		Channel: "phone", Status: "in_progress", PolicyID: "cn-15wd", Language: "zh-CN", ActingFor: "self",
		ReceivedAt: now.Add(-72 * time.Hour)}
	if err := st.SaveCase(ctx, row); err != nil {
		t.Fatal(err)
	}
	events := []struct {
		kind            string
		occurred, clock time.Time
	}{
		{"case.opened", now.Add(-72 * time.Hour), now.Add(-72 * time.Hour)},
		{"notice.sent", now.Add(-2 * time.Hour), now.Add(-time.Hour)},
		// Issued before the notice, recorded after it, by a clock an hour slow.
		{"export.link_issued", now.Add(-3 * time.Hour), now.Add(-2 * time.Hour)},
	}
	for i, e := range events {
		clock := e.clock
		st.DB().Config.NowFunc = func() time.Time { return clock }
		if _, err := st.AppendEvent(ctx, &store.Event{CaseID: row.ID, Key: "k" + strconv.Itoa(i), Kind: e.kind,
			Actor: "system", Detail: "{}", OccurredAt: e.occurred}); err != nil {
			t.Fatal(err)
		}
	}

	b := f.browser(t)
	b.signIn(auth.DPO)
	p := b.get("/console/cases/" + row.ID)
	if p.status != http.StatusOK {
		t.Fatalf("case page: %d\n%s", p.status, p.body)
	}
	items := timelineItem.FindAllStringSubmatch(p.body, -1)
	if len(items) != len(events) {
		t.Fatalf("timeline shows %d events with both times, want %d:\n%s", len(items), len(events), p.body)
	}
	var lastRecorded time.Time
	for i, it := range items {
		kind, seq := it[1], it[2]
		occurred, err1 := time.Parse(time.RFC3339Nano, it[3])
		recorded, err2 := time.Parse(time.RFC3339Nano, it[4])
		if err1 != nil || err2 != nil {
			t.Fatalf("event %s: times %q, %q", seq, it[3], it[4])
		}
		if seq != strconv.Itoa(i+1) || kind != events[i].kind {
			t.Errorf("timeline item %d is #%s %s, want #%d %s", i, seq, kind, i+1, events[i].kind)
		}
		if !occurred.Equal(events[i].occurred) {
			t.Errorf("#%s shows occurred %s, want %s", seq, occurred, events[i].occurred)
		}
		if recorded.Before(lastRecorded) {
			t.Errorf("#%s shows recorded %s, before the event above (%s)", seq, recorded, lastRecorded)
		}
		lastRecorded = recorded
	}
}
