package console

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/auth"
)

// The calendar view lists what dsr calendar show lists, from the same
// calendars the policies count days on.
func TestCalendarsPage(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	if a := b.get("/console/calendars"); a.status != http.StatusSeeOther {
		t.Fatalf("signed out: %d, want a redirect to sign in", a.status)
	}
	b.signIn(auth.Auditor)
	a := b.get("/console/calendars")
	if a.status != http.StatusOK || !strings.Contains(a.body, `href="/console/calendars?id=gb-eng"`) ||
		!strings.Contains(a.body, `href="/console/calendars?id=cn"`) {
		t.Fatalf("index: %d\n%s", a.status, a.body)
	}
	a = b.get("/console/calendars?id=gb-eng&year=2026")
	for _, want := range []string{
		"<td>2026-12-25 Friday</td><td>rest day</td><td>Christmas Day</td>",
		"<td>2026-12-26 Saturday</td><td>holiday on a weekend day</td><td>Boxing Day</td>",
		"<td>2026-12-28 Monday</td><td>rest day</td><td>Boxing Day (substitute)</td>",
		"Policies: uk-gdpr",
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("gb-eng 2026 lacks %q:\n%s", want, a.body)
		}
	}
	// Today (2026-03-04) gives the year; cn shows its make-up working days.
	a = b.get("/console/calendars?id=cn")
	if !strings.Contains(a.body, "<td>2026-02-14 Saturday</td><td>make-up working day</td>") {
		t.Errorf("cn this year:\n%s", a.body)
	}
	// A year the data calendar does not know says so.
	if a = b.get("/console/calendars?id=cn&year=2031"); a.status != http.StatusOK || !strings.Contains(a.body, "outside the years it covers") {
		t.Errorf("cn 2031: %d\n%s", a.status, a.body)
	}
	if a = b.get("/console/calendars?id=nowhere"); a.status != http.StatusNotFound {
		t.Errorf("unknown calendar: %d", a.status)
	}
	if a = b.get("/console/calendars?id=gb-eng&year=next"); a.status != http.StatusBadRequest {
		t.Errorf("bad year: %d", a.status)
	}
}
