package workflows

import (
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

func (r *run) validateAssign(in AssignInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if len(in.Assignee) > maxAssignee {
		return refused("assignee: at most %d characters", maxAssignee)
	}
	if strings.TrimSpace(in.Assignee) == r.st.Assignee {
		return refused("the case is already assigned to %q", r.st.Assignee)
	}
	return nil
}

func (r *run) assign(ctx workflow.Context, in AssignInput) (State, error) {
	if err := r.validateAssign(in); err != nil {
		return *r.st, err
	}
	st := r.st
	from := st.Assignee
	st.Assignee = strings.TrimSpace(in.Assignee)
	return *st, r.project(ctx, r.event(ctx, r.nextKey("case.assigned"), "case.assigned", actorOr(in.Actor),
		map[string]string{"from": from, "to": st.Assignee}))
}

func (r *run) validateNote(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	switch n := len(strings.TrimSpace(in.Note)); {
	case n == 0:
		return refused("note: empty")
	case n > maxNoteLen:
		return refused("note: at most %d bytes", maxNoteLen)
	}
	return nil
}

func (r *run) note(ctx workflow.Context, in NoteInput) (State, error) {
	if err := r.validateNote(in); err != nil {
		return *r.st, err
	}
	return *r.st, r.project(ctx, r.event(ctx, r.nextKey("case.noted"), "case.noted", actorOr(in.Actor),
		map[string]string{"note": strings.TrimSpace(in.Note)}))
}

func (r *run) validateTag(in TagInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if len(in.Add)+len(in.Remove) == 0 {
		return refused("nothing to add or remove")
	}
	for _, t := range append(slices.Clone(in.Add), in.Remove...) {
		if t == "" || len(t) > maxTagLen || strings.ContainsAny(t, ", \t\r\n") {
			return refused("tag %q: 1 to %d characters, no commas or spaces", t, maxTagLen)
		}
	}
	if len(tagged(r.st.Tags, in)) > maxTags {
		return refused("at most %d tags", maxTags)
	}
	return nil
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

func (r *run) tag(ctx workflow.Context, in TagInput) (State, error) {
	if err := r.validateTag(in); err != nil {
		return *r.st, err
	}
	st := r.st
	st.Tags = tagged(st.Tags, in)
	return *st, r.project(ctx, r.event(ctx, r.nextKey("case.tagged"), "case.tagged", actorOr(in.Actor),
		map[string]string{"added": strings.Join(in.Add, ","), "removed": strings.Join(in.Remove, ","),
			"tags": strings.Join(st.Tags, ",")}))
}
