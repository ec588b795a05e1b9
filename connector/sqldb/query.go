package sqldb

import (
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/connector"
)

// builder writes the WHERE clauses that find a subject's rows. Every value
// is appended to args as its "?" is written, so a builder's fragments must
// be concatenated in the order they were produced.
type builder struct {
	c    *Connector
	s    connector.Subject
	now  time.Time
	args []any
	n    int
}

func (c *Connector) builder(s connector.Subject) *builder { return &builder{c: c, s: s} }

// alias names a fresh table alias; every subquery gets its own so that a
// column name can never resolve to an outer query's table.
func (b *builder) alias() string {
	b.n++
	return fmt.Sprintf("t%d", b.n)
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "?"
}

func col(alias, name string) string { return alias + "." + quote(name) }

// belongs is true for a row (alias a) of n that is the subject's.
func (b *builder) belongs(n *node, a string) string {
	if n.parent == nil {
		var or []string
		for _, f := range []struct{ field, value string }{
			{FieldEmail, b.s.Email}, {FieldPhone, b.s.Phone}, {FieldAccountID, b.s.AccountID},
		} {
			column, ok := n.Identity[f.field]
			if !ok || f.value == "" {
				continue
			}
			// The hashed form is what an erasure that had to keep the row
			// left behind.
			or = append(or, col(a, column)+" IN ("+b.arg(f.value)+", "+b.arg(b.c.hash(f.value))+")")
		}
		if len(or) == 0 {
			return "1 = 0"
		}
		return "(" + strings.Join(or, " OR ") + ")"
	}
	p := b.alias()
	return col(a, n.References) + " IN (SELECT " + col(p, n.parent.key()) + " FROM " + quoteTable(n.parent.Table) + " " + p +
		" WHERE " + b.belongs(n.parent, p) + ")"
}

// canHold reports whether rows of n may be held: by n's own hold or by an
// ancestor's, which holds the held row's descendants with it.
func (n *node) canHold() bool {
	for m := n; m != nil; m = m.parent {
		if m.Hold != nil {
			return true
		}
	}
	return false
}

// holdsBelow reports whether some descendant of n may be held.
func (n *node) holdsBelow() bool {
	for _, ch := range n.children {
		if ch.canHold() || ch.holdsBelow() {
			return true
		}
	}
	return false
}

// ts is a timestamp column as a value that compares in time order: SQLite
// keeps timestamps as text in more than one layout.
func (b *builder) ts(expr string) string {
	if b.c.dialect == SQLite {
		return "strftime('%Y-%m-%d %H:%M:%f', " + expr + ")"
	}
	return expr
}

// tsArg binds t for comparison with ts.
func (b *builder) tsArg(t time.Time) string {
	if b.c.dialect == SQLite {
		return b.arg(t.UTC().Format("2006-01-02 15:04:05.000"))
	}
	// PostgreSQL TIMESTAMP has no zone; pgx sends the wall clock, so UTC.
	return b.arg(t.UTC())
}

// ownHeld is true for a row of n that n's own hold keeps as of b.now.
func (b *builder) ownHeld(n *node, a string) string {
	c := col(a, n.Hold.Column)
	return "(" + c + " IS NOT NULL AND " + b.ts(c) + " > " + b.tsArg(n.period.Before(b.now)) + ")"
}

// held is true for a row of n that a hold keeps as of b.now; never NULL.
// Call only when n.canHold().
func (b *builder) held(n *node, a string) string {
	var or []string
	if n.Hold != nil {
		or = append(or, b.ownHeld(n, a))
	}
	if n.parent != nil && n.parent.canHold() {
		p := b.alias()
		ref := col(a, n.References)
		or = append(or, "("+ref+" IS NOT NULL AND "+ref+" IN (SELECT "+col(p, n.parent.key())+" FROM "+
			quoteTable(n.parent.Table)+" "+p+" WHERE "+col(p, n.parent.key())+" IS NOT NULL AND "+b.held(n.parent, p)+"))")
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// anchors is true for a row of n that has held descendants; never NULL.
// Call only when n.holdsBelow().
func (b *builder) anchors(n *node, a string) string {
	var or []string
	for _, ch := range n.children {
		heldHere, below := ch.canHold(), ch.holdsBelow()
		if !heldHere && !below {
			continue
		}
		x := b.alias()
		ref := col(x, ch.References)
		q := col(a, n.key()) + " IN (SELECT " + ref + " FROM " + quoteTable(ch.Table) + " " + x + " WHERE " + ref + " IS NOT NULL AND ("
		var inner []string
		if heldHere {
			inner = append(inner, b.held(ch, x))
		}
		if below {
			inner = append(inner, b.anchors(ch, x))
		}
		or = append(or, q+strings.Join(inner, " OR ")+"))")
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// keys selects the keys of n's rows for which where (on alias a) holds.
func keysWhere(n *node, a, where string) string {
	return "SELECT " + col(a, n.key()) + " FROM " + quoteTable(n.Table) + " " + a + " WHERE " + where
}
