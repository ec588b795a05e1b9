package sqldb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/dsrflow/dsrflow/connector"
)

// maskPage is how many rows a per-row masking reads at a time; it bounds
// memory however many rows the subject has.
const maskPage = 500

// Erase erases, in one transaction, the subject's rows of every dataset,
// deepest first so that children go before the parents they are found
// through.
//
// A row a hold keeps as of now is marked restricted instead. A row of a
// delete dataset that has held descendants is kept too, or the subject
// could not be found again when the hold ends: it is masked (identity
// columns hashed, listed columns by their erase) and restricted, and
// counted as held. Erase deletes it on the first call after nothing below
// it is held.
func (c *Connector) Erase(ctx context.Context, s connector.Subject, now time.Time) ([]connector.Erasure, error) {
	if s.Empty() {
		return nil, fmt.Errorf("connector %s: erase: %w", c.name, errNoSubject)
	}
	order := slices.Clone(c.nodes)
	slices.Reverse(order)
	done := map[*node]*connector.Erasure{}
	out := make([]connector.Erasure, len(order))
	err := c.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, n := range order {
			e, err := c.eraseDataset(tx, n, s, now, done)
			if err != nil {
				return fmt.Errorf("erase %s: %w", n.Name, err)
			}
			out[i] = e
			done[n] = &out[i]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("connector %s: %w", c.name, err)
	}
	// Report in graph order, as Datasets lists them.
	slices.Reverse(out)
	return out, nil
}

func (c *Connector) eraseDataset(tx *gorm.DB, n *node, s connector.Subject, now time.Time, done map[*node]*connector.Erasure) (connector.Erasure, error) {
	e := connector.Erasure{Dataset: n.Name, Strategy: n.strategyName()}
	nb := func() *builder { b := c.builder(s); b.now = now; return b }

	canHold := n.canHold()
	if canHold {
		b := nb()
		a := b.alias()
		where := b.belongs(n, a) + " AND " + b.held(n, a)
		held, err := count(tx, n, a, where, b.args)
		if err != nil {
			return e, fmt.Errorf("count held: %w", err)
		}
		if held > 0 {
			e.Held = held
			if err := c.restrict(tx, n, a, where, b.args); err != nil {
				return e, err
			}
			until, ground, err := c.heldUntil(tx, n, s, now)
			if err != nil {
				return e, err
			}
			e.HeldUntil, e.Hold = until, ground
		}
	}

	// notHeld builds the "subject's and not held" clause on a fresh builder.
	notHeld := func(b *builder, a string) string {
		w := b.belongs(n, a)
		if canHold {
			w += " AND NOT " + b.held(n, a)
		}
		return w
	}

	if n.strategy() == EraseMask {
		b := nb()
		a := b.alias()
		erased, err := c.mask(tx, n, a, notHeld(b, a), b.args)
		if err != nil {
			return e, err
		}
		e.Erased = erased
		return e, nil
	}

	anchored := n.holdsBelow()
	if anchored {
		b := nb()
		a := b.alias()
		where := notHeld(b, a) + " AND " + b.anchors(n, a)
		anchors, err := count(tx, n, a, where, b.args)
		if err != nil {
			return e, fmt.Errorf("count rows with held descendants: %w", err)
		}
		if anchors > 0 {
			if _, err := c.mask(tx, n, a, where, b.args); err != nil {
				return e, err
			}
			if n.Restrict != nil {
				if err := c.restrict(tx, n, a, where, b.args); err != nil {
					return e, err
				}
			}
			e.Held += anchors
			until, grounds := descendantHolds(n, done)
			if e.HeldUntil == nil || (until != nil && until.After(*e.HeldUntil)) {
				e.HeldUntil = until
			}
			e.Hold = joinGrounds(e.Hold, grounds)
		}
	}
	b := nb()
	a := b.alias()
	where := notHeld(b, a)
	if anchored {
		where += " AND NOT " + b.anchors(n, a)
	}
	res := tx.Exec("DELETE FROM "+quoteTable(n.Table)+" WHERE "+quote(n.key())+" IN ("+keysWhere(n, a, where)+")", b.args...)
	if res.Error != nil {
		return e, fmt.Errorf("delete: %w", res.Error)
	}
	e.Erased = res.RowsAffected
	return e, nil
}

// strategyName is the Erasure.Strategy of n: delete, or for a mask
// dataset the column strategy when all masked columns share one.
func (n *node) strategyName() string {
	if n.strategy() == EraseDelete {
		return EraseDelete
	}
	s := n.masks[0].strategy
	for _, m := range n.masks[1:] {
		if m.strategy != s {
			return EraseMask
		}
	}
	return s
}

func count(tx *gorm.DB, n *node, a, where string, args []any) (int64, error) {
	var k int64
	err := tx.Raw("SELECT COUNT(*) FROM "+quoteTable(n.Table)+" "+a+" WHERE "+where, args...).Row().Scan(&k)
	return k, err
}

// restrict marks the rows matching where; rows already marked are left
// alone so a retry changes nothing.
func (c *Connector) restrict(tx *gorm.DB, n *node, a, where string, args []any) error {
	r := n.Restrict
	rc := quote(r.Column)
	q := "UPDATE " + quoteTable(n.Table) + " SET " + rc + " = ? WHERE " + quote(n.key()) + " IN (" + keysWhere(n, a, where) +
		") AND (" + rc + " IS NULL OR " + rc + " <> ?)"
	all := append(append([]any{r.Value}, args...), r.Value)
	if err := tx.Exec(q, all...).Error; err != nil {
		return fmt.Errorf("restrict: %w", err)
	}
	return nil
}

// heldUntil is when the last of the subject's rows held in n may go, and
// the grounds: the latest hold column plus period over the held rows of n
// and of its ancestors with holds, whose holds cover n's rows too.
func (c *Connector) heldUntil(tx *gorm.DB, n *node, s connector.Subject, now time.Time) (*time.Time, string, error) {
	var (
		last    *time.Time
		grounds string
	)
	for m := n; m != nil; m = m.parent {
		if m.Hold == nil {
			continue
		}
		b := c.builder(s)
		b.now = now
		a := b.alias()
		hc := col(a, m.Hold.Column)
		where := b.belongs(m, a) + " AND " + b.ownHeld(m, a)
		var v any
		rows, err := tx.Raw("SELECT "+hc+" FROM "+quoteTable(m.Table)+" "+a+" WHERE "+where+" ORDER BY "+b.ts(hc)+" DESC LIMIT 1", b.args...).Rows()
		if err != nil {
			return nil, "", fmt.Errorf("held until: %w", err)
		}
		found := rows.Next()
		if found {
			err = rows.Scan(&v)
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
		if err != nil {
			return nil, "", fmt.Errorf("held until: %w", err)
		}
		if !found {
			continue
		}
		t, ok := asTime(v)
		if !ok {
			return nil, "", fmt.Errorf("held until: %s.%s is not a timestamp", m.Table, m.Hold.Column)
		}
		until := m.period.After(t)
		if last == nil || until.After(*last) {
			last = &until
		}
		grounds = joinGrounds(grounds, m.Hold.Ground)
	}
	return last, grounds, nil
}

// descendantHolds sums up the holds of the datasets below n, all erased
// before n.
func descendantHolds(n *node, done map[*node]*connector.Erasure) (*time.Time, string) {
	var (
		last    *time.Time
		grounds string
	)
	var walk func(*node)
	walk = func(m *node) {
		for _, ch := range m.children {
			if e := done[ch]; e != nil && e.Held > 0 {
				if e.HeldUntil != nil && (last == nil || e.HeldUntil.After(*last)) {
					t := *e.HeldUntil
					last = &t
				}
				grounds = joinGrounds(grounds, e.Hold)
			}
			walk(ch)
		}
	}
	walk(n)
	return last, grounds
}

func joinGrounds(have, add string) string {
	if add == "" {
		return have
	}
	if have == "" {
		return add
	}
	for _, g := range strings.Split(add, "; ") {
		if !slices.Contains(strings.Split(have, "; "), g) {
			have += "; " + g
		}
	}
	return have
}

// timeLayouts are the text forms SQLite may give back for a timestamp it
// could not parse itself.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func asTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case []byte:
		return asTime(string(x))
	case string:
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// mask applies n's masks to the rows matching where and returns how many
// rows changed. Rows already masked do not change, so a retry counts 0.
func (c *Connector) mask(tx *gorm.DB, n *node, a, where string, args []any) (int64, error) {
	if len(n.masks) == 0 {
		return 0, nil
	}
	if !slices.ContainsFunc(n.masks, func(m mask) bool { return m.strategy == ColumnHash }) {
		return c.maskInPlace(tx, n, a, where, args)
	}
	return c.maskRows(tx, n, a, where, args)
}

// maskInPlace is one UPDATE, possible when no column needs its old value.
func (c *Connector) maskInPlace(tx *gorm.DB, n *node, a, where string, args []any) (int64, error) {
	var (
		set, differs []string
		setArgs      []any
		diffArgs     []any
	)
	for _, m := range n.masks {
		mc := quote(m.column)
		if m.strategy == ColumnNull {
			set = append(set, mc+" = NULL")
			differs = append(differs, mc+" IS NOT NULL")
			continue
		}
		set = append(set, mc+" = ?")
		setArgs = append(setArgs, m.value)
		differs = append(differs, mc+" IS NULL OR "+mc+" <> ?")
		diffArgs = append(diffArgs, m.value)
	}
	q := "UPDATE " + quoteTable(n.Table) + " SET " + strings.Join(set, ", ") + " WHERE " + quote(n.key()) + " IN (" +
		keysWhere(n, a, where) + ") AND (" + strings.Join(differs, " OR ") + ")"
	all := append(append(setArgs, args...), diffArgs...)
	res := tx.Exec(q, all...)
	if res.Error != nil {
		return 0, fmt.Errorf("mask: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// maskRows reads the rows page by page in key order, computes the hashes in
// Go (HMAC is not portable SQL) and updates the rows that change.
func (c *Connector) maskRows(tx *gorm.DB, n *node, a, where string, args []any) (int64, error) {
	sel := []string{col(a, n.key())}
	for _, m := range n.masks {
		sel = append(sel, col(a, m.column))
	}
	base := "SELECT " + strings.Join(sel, ", ") + " FROM " + quoteTable(n.Table) + " " + a + " WHERE " + where
	order := " ORDER BY " + col(a, n.key()) + fmt.Sprintf(" LIMIT %d", maskPage)

	type change struct {
		key  any
		vals []any
	}
	var (
		changed int64
		last    any
	)
	for {
		q, qargs := base+order, args
		if last != nil {
			q = base + " AND " + col(a, n.key()) + " > ?" + order
			qargs = append(slices.Clone(args), last)
		}
		rows, err := tx.Raw(q, qargs...).Rows()
		if err != nil {
			return changed, fmt.Errorf("mask: read: %w", err)
		}
		var page []change
		read := 0
		for rows.Next() {
			vals := make([]any, len(sel))
			ptrs := make([]any, len(sel))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return changed, fmt.Errorf("mask: read: %w", err)
			}
			read++
			last = vals[0]
			if next, ok := c.masked(n, vals[1:]); ok {
				page = append(page, change{key: vals[0], vals: next})
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return changed, fmt.Errorf("mask: read: %w", err)
		}
		for _, ch := range page {
			set := make([]string, len(n.masks))
			for i, m := range n.masks {
				set[i] = quote(m.column) + " = ?"
			}
			q := "UPDATE " + quoteTable(n.Table) + " SET " + strings.Join(set, ", ") + " WHERE " + quote(n.key()) + " = ?"
			if err := tx.Exec(q, append(ch.vals, ch.key)...).Error; err != nil {
				return changed, fmt.Errorf("mask: update: %w", err)
			}
			changed++
		}
		if read < maskPage {
			return changed, nil
		}
	}
}

// masked returns the masked values of a row, and whether any differs from
// old.
func (c *Connector) masked(n *node, old []any) ([]any, bool) {
	next := make([]any, len(old))
	changed := false
	for i, m := range n.masks {
		v := old[i]
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		next[i] = v
		switch m.strategy {
		case ColumnNull:
			if v != nil {
				next[i], changed = nil, true
			}
		case ColumnFixed:
			if v == nil || text(v) != text(m.value) {
				next[i], changed = m.value, true
			}
		case ColumnHash:
			if v != nil && !looksHashed(text(v)) {
				next[i], changed = c.hash(text(v)), true
			}
		}
	}
	return next, changed
}
