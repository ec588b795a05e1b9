package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// Staff bookkeeping on a case: who works it, notes, tags. None of it
// changes the deadline or tells the requester anything; all of it is
// audited.
const (
	AssignUpdate = "assign"
	NoteUpdate   = "note"
	TagUpdate    = "tag"
)

// AssignInput gives the case to a staff member; an empty assignee returns
// it to the queue.
type AssignInput struct {
	Assignee string `json:"assignee"`
	Actor    string `json:"actor,omitempty"`
}

// TagInput adds and removes tags.
type TagInput struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
	Actor  string   `json:"actor,omitempty"`
}

const (
	maxTags     = 20
	maxTagLen   = 40
	maxNoteLen  = 4000
	maxAssignee = 200
)

// Books are the bookkeeping fields of a case.
type Books struct {
	Assignee string
	Tags     []string
}

// Entry is one bookkeeping action applied: the audit event it records and
// the books after it.
type Entry struct {
	Kind   string
	Detail map[string]string
	Actor  string
	Books  Books
}

// Keep checks a bookkeeping action (an *AssignInput, *NoteInput or
// *TagInput, or the value) against the books and returns what it records.
// The workflow keeps the books of an open case with it; the API keeps those
// of a closed one, whose workflow has ended, in the store, by the same
// rules.
func Keep(b Books, in any) (Entry, error) {
	switch in := in.(type) {
	case *AssignInput:
		return Keep(b, *in)
	case *NoteInput:
		return Keep(b, *in)
	case *TagInput:
		return Keep(b, *in)
	case AssignInput:
		if len(in.Assignee) > maxAssignee {
			return Entry{}, refused("assignee: at most %d characters", maxAssignee)
		}
		to := strings.TrimSpace(in.Assignee)
		if to == b.Assignee {
			return Entry{}, refused("the case is already assigned to %q", b.Assignee)
		}
		return Entry{Kind: "case.assigned", Detail: map[string]string{"from": b.Assignee, "to": to},
			Actor: actorOr(in.Actor), Books: Books{Assignee: to, Tags: b.Tags}}, nil
	case NoteInput:
		note := strings.TrimSpace(in.Note)
		switch n := len(note); {
		case n == 0:
			return Entry{}, refused("note: empty")
		case n > maxNoteLen:
			return Entry{}, refused("note: at most %d bytes", maxNoteLen)
		}
		return Entry{Kind: "case.noted", Detail: map[string]string{"note": note}, Actor: actorOr(in.Actor), Books: b}, nil
	case TagInput:
		if len(in.Add)+len(in.Remove) == 0 {
			return Entry{}, refused("nothing to add or remove")
		}
		for _, t := range append(slices.Clone(in.Add), in.Remove...) {
			if t == "" || len(t) > maxTagLen || strings.ContainsAny(t, ", \t\r\n") {
				return Entry{}, refused("tag %q: 1 to %d characters, no commas or spaces", t, maxTagLen)
			}
		}
		tags := tagged(b.Tags, in)
		if len(tags) > maxTags {
			return Entry{}, refused("at most %d tags", maxTags)
		}
		return Entry{Kind: "case.tagged", Detail: map[string]string{"added": strings.Join(in.Add, ","),
			"removed": strings.Join(in.Remove, ","), "tags": strings.Join(tags, ",")},
			Actor: actorOr(in.Actor), Books: Books{Assignee: b.Assignee, Tags: tags}}, nil
	}
	panic(fmt.Sprintf("workflows.Keep: %T is not a bookkeeping action", in))
}

// tagged is tags after the change, sorted.
func tagged(tags []string, in TagInput) []string {
	out := slices.Clone(tags)
	for _, t := range in.Add {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	out = slices.DeleteFunc(out, func(t string) bool { return slices.Contains(in.Remove, t) })
	slices.Sort(out)
	return out
}

func (r *run) books() Books { return Books{Assignee: r.st.Assignee, Tags: r.st.Tags} }

// Bookkeeping is taken on closed cases too: a closed case's workflow may
// still be sending its last notices, and staff annotate closed cases for
// years (complaints, regulators). Once the workflow has ended, the API
// keeps the books in the store.
func validateBooks[In any](r *run) func(In) error {
	return func(in In) error {
		_, err := Keep(r.books(), in)
		return err
	}
}

func keepBooks[In any](r *run) func(workflow.Context, In) (Ack, error) {
	return func(ctx workflow.Context, in In) (Ack, error) {
		e, err := Keep(r.books(), in)
		if err != nil {
			return r.ack(), err
		}
		r.st.Assignee, r.st.Tags = e.Books.Assignee, e.Books.Tags
		if r.core {
			r.changed++ // wakes the main loop, which may continue as new
		}
		return r.acked(r.project(ctx, r.event(ctx, r.nextKey(e.Kind), e.Kind, e.Actor, e.Detail)))
	}
}
