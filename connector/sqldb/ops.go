package sqldb

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/dsrflow/dsrflow/connector"
)

// Correct applies, in one transaction, the corrections whose dataset this
// connector has. A column that is not listed as correctable is an error and
// nothing is applied. Rows already holding the value are not counted, so a
// retry reports 0 rows.
func (c *Connector) Correct(ctx context.Context, s connector.Subject, cs []connector.Correction) ([]connector.Applied, error) {
	if s.Empty() {
		return nil, fmt.Errorf("connector %s: correct: %w", c.name, errNoSubject)
	}
	type todo struct {
		n      *node
		column string
		cr     connector.Correction
	}
	var work []todo
	for _, cr := range cs {
		ds, column, err := cr.Split()
		if err != nil {
			return nil, fmt.Errorf("connector %s: correct: %w", c.name, err)
		}
		n, ok := c.byName[ds]
		if !ok {
			continue // another connector's dataset
		}
		i := slices.IndexFunc(n.Columns, func(col Column) bool { return col.Name == column })
		if i < 0 || !n.Columns[i].Correctable {
			return nil, fmt.Errorf("connector %s: correct %s: column is not correctable", c.name, cr.Field)
		}
		work = append(work, todo{n: n, column: column, cr: cr})
	}
	var out []connector.Applied
	err := c.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, w := range work {
			b := c.builder(s)
			a := b.alias()
			cc := quote(w.column)
			q := "UPDATE " + quoteTable(w.n.Table) + " SET " + cc + " = ? WHERE " + quote(w.n.key()) + " IN (" +
				keysWhere(w.n, a, b.belongs(w.n, a)) + ") AND (" + cc + " IS NULL OR " + cc + " <> ?)"
			args := append(append([]any{w.cr.Value}, b.args...), w.cr.Value)
			res := tx.Exec(q, args...)
			if res.Error != nil {
				return fmt.Errorf("correct %s: %w", w.cr.Field, res.Error)
			}
			out = append(out, connector.Applied{Field: w.cr.Field, Rows: res.RowsAffected})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("connector %s: %w", c.name, err)
	}
	return out, nil
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// Check runs the configured checks; see Check for the parameters.
func (c *Connector) Check(ctx context.Context, s connector.Subject) ([]connector.Obstacle, error) {
	if s.Empty() {
		return nil, fmt.Errorf("connector %s: check: %w", c.name, errNoSubject)
	}
	var out []connector.Obstacle
	db := c.db.WithContext(ctx)
	for _, ch := range c.cfg.Checks {
		root := c.root(ch.Dataset)
		keys, err := c.rootKeys(db, root, s)
		if err != nil {
			return nil, fmt.Errorf("connector %s: check %s: %w", c.name, ch.Name, err)
		}
		if len(keys) == 0 {
			keys = []any{nil}
		}
		for _, k := range keys {
			params := map[string]any{
				"key":          k,
				FieldEmail:     orNull(s.Email),
				FieldPhone:     orNull(s.Phone),
				FieldAccountID: orNull(s.AccountID),
			}
			obs, err := runCheck(db, ch, params)
			if err != nil {
				return nil, fmt.Errorf("connector %s: check %s: %w", c.name, ch.Name, err)
			}
			out = append(out, obs...)
		}
	}
	return out, nil
}

func runCheck(db *gorm.DB, ch Check, params map[string]any) ([]connector.Obstacle, error) {
	rows, err := db.Raw(ch.Query, params).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	var out []connector.Obstacle
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		msg := placeholderRE.ReplaceAllStringFunc(ch.Message, func(m string) string {
			name := placeholderRE.FindStringSubmatch(m)[1]
			i := slices.Index(names, name)
			if i < 0 {
				return m
			}
			return text(normalise(vals[i], strings.ToUpper(types[i].DatabaseTypeName())))
		})
		out = append(out, connector.Obstacle{Check: ch.Name, Message: msg})
	}
	return out, rows.Err()
}

// root is the root dataset named, or the first root.
func (c *Connector) root(name string) *node {
	if name != "" {
		return c.byName[name]
	}
	return c.nodes[0] // graph order: a root
}

// rootKeys are the keys of the subject's rows of a root dataset: a handful,
// one per account.
func (c *Connector) rootKeys(db *gorm.DB, n *node, s connector.Subject) ([]any, error) {
	b := c.builder(s)
	a := b.alias()
	rows, err := db.Raw(keysWhere(n, a, b.belongs(n, a))+" ORDER BY "+col(a, n.key()), b.args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", n.Name, err)
	}
	defer rows.Close()
	var keys []any
	for rows.Next() {
		var k any
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("find %s: %w", n.Name, err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find %s: %w", n.Name, err)
	}
	return keys, nil
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Deactivate sets the configured columns of the subject's rows; a value
// "now" is the time of the call. Only rows whose literal columns differ
// (or, with none, whose "now" columns are NULL) change, so a retry keeps
// the first deactivation time.
func (c *Connector) Deactivate(ctx context.Context, s connector.Subject) error {
	d := c.cfg.Deactivate
	if d == nil {
		return connector.ErrUnsupported
	}
	if s.Empty() {
		return fmt.Errorf("connector %s: deactivate: %w", c.name, errNoSubject)
	}
	n := c.byName[d.Dataset]
	now := time.Now().UTC().Truncate(time.Microsecond)
	cols := make([]string, 0, len(d.Set))
	for k := range d.Set {
		cols = append(cols, k)
	}
	slices.Sort(cols)
	var (
		set, differs, nowNull []string
		setArgs, diffArgs     []any
	)
	for _, k := range cols {
		v := d.Set[k]
		qc := quote(k)
		set = append(set, qc+" = ?")
		if v == Now {
			setArgs = append(setArgs, now)
			nowNull = append(nowNull, qc+" IS NULL")
			continue
		}
		setArgs = append(setArgs, v)
		differs = append(differs, qc+" IS NULL OR "+qc+" <> ?")
		diffArgs = append(diffArgs, v)
	}
	if len(differs) == 0 {
		differs = nowNull
	}
	b := c.builder(s)
	a := b.alias()
	q := "UPDATE " + quoteTable(n.Table) + " SET " + strings.Join(set, ", ") + " WHERE " + quote(n.key()) + " IN (" +
		keysWhere(n, a, b.belongs(n, a)) + ") AND (" + strings.Join(differs, " OR ") + ")"
	args := append(append(setArgs, b.args...), diffArgs...)
	if err := c.db.WithContext(ctx).Exec(q, args...).Error; err != nil {
		return fmt.Errorf("connector %s: deactivate %s: %w", c.name, n.Name, err)
	}
	return nil
}
