package workflows

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/request"
)

// The diagram in docs/case-lifecycle.md is the table, row for row.
func TestLifecycleDocMatchesTable(t *testing.T) {
	b, err := os.ReadFile("../docs/case-lifecycle.md")
	if err != nil {
		t.Fatal(err)
	}
	edge := regexp.MustCompile(`^\s+([a-z_]+) --> ([a-z_]+): ([a-z_]+)$`)
	var doc []string
	for _, line := range strings.Split(string(b), "\n") {
		if m := edge.FindStringSubmatch(line); m != nil {
			doc = append(doc, m[1]+" "+m[3]+" "+m[2])
		}
	}
	var table []string
	for _, tr := range lifecycle {
		table = append(table, string(tr.From)+" "+string(tr.Event)+" "+string(tr.To))
	}
	slices.Sort(doc)
	slices.Sort(table)
	if !slices.Equal(doc, table) {
		t.Errorf("docs/case-lifecycle.md draws\n%s\nbut the table is\n%s", strings.Join(doc, "\n"), strings.Join(table, "\n"))
	}
}

// Every status is reachable, closed statuses have no way out, and only
// info_received has a choice of targets (the status the case waited from).
func TestLifecycleTable(t *testing.T) {
	reached := map[request.Status]bool{request.Received: true}
	targets := map[string]int{}
	for _, tr := range lifecycle {
		if tr.From.Closed() {
			t.Errorf("%s leaves closed status %s", tr.Event, tr.From)
		}
		reached[tr.To] = true
		targets[string(tr.From)+"/"+string(tr.Event)]++
	}
	for _, s := range request.Statuses {
		if !reached[s] {
			t.Errorf("status %s is unreachable", s)
		}
	}
	for k, n := range targets {
		if n > 1 && !strings.HasSuffix(k, "/"+string(evInfoReceived)) {
			t.Errorf("%s has %d targets", k, n)
		}
	}
	if _, err := nextStatus(request.Completed, evWithdrawn, ""); err == nil {
		t.Error("a completed case was withdrawn")
	}
	for _, from := range []request.Status{request.PendingVerification, request.InProgress} {
		if to, err := nextStatus(request.AwaitingRequester, evInfoReceived, from); err != nil || to != from {
			t.Errorf("info_received resumed to %s (%v), want %s", to, err, from)
		}
	}
}
