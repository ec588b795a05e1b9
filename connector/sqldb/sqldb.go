// Package sqldb is the connector for a SQL database reached through GORM:
// PostgreSQL in production, SQLite for the embedded example. The
// configuration describes the subject's tables as a forest: root tables
// find the subject by e-mail, phone or account id, child tables by a column
// holding their parent's key, to any depth.
//
// Every query finds the subject's rows with subqueries along that forest,
// so no list of keys is ever collected in memory, and streams its result.
// examples/shop/connectors.yaml is a complete configuration.
package sqldb

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/dsrflow/dsrflow/connector"
)

// Connector is a connector.Connector for one SQL database.
type Connector struct {
	name    string
	cfg     Config
	db      *gorm.DB
	dialect string
	hashKey []byte
	// nodes in graph order: each root followed by its descendants, depth
	// first, in config order.
	nodes  []*node
	byName map[string]*node
	// owned is set when New opened db, so Close closes it.
	owned bool
}

var _ connector.Connector = (*Connector)(nil)

type node struct {
	*Dataset
	parent   *node
	children []*node
	period   Period
	// masks are the columns a kept row's erasure changes: the listed
	// columns with null, hash or fixed, and the identity columns (hash).
	masks []mask
}

type mask struct {
	column   string
	strategy string
	value    any
}

// New opens the database cfg names. Close closes it.
func New(name string, cfg Config) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("connector %s: %w", name, err)
	}
	if cfg.DSN == "" {
		return nil, fmt.Errorf("connector %s: dsn: required", name)
	}
	var dialector gorm.Dialector
	switch cfg.Driver {
	case Postgres:
		dialector = postgres.Open(cfg.DSN)
	case SQLite:
		dialector = sqlite.Open(cfg.DSN)
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		// GORM's logger prints parameters, which are personal data here.
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
	})
	if err != nil {
		// The DSN may hold a password; the driver's error does not quote it.
		return nil, fmt.Errorf("connector %s: open %s: %w", name, cfg.Driver, err)
	}
	if cfg.Driver == SQLite {
		sqlDB, err := db.DB()
		if err != nil {
			return nil, fmt.Errorf("connector %s: %w", name, err)
		}
		// SQLite allows one writer; one connection keeps Erase's transaction
		// from failing with SQLITE_BUSY against another connection's read.
		sqlDB.SetMaxOpenConns(1)
	}
	c, err := NewWithDB(name, cfg, db)
	if err != nil {
		if sqlDB, e := db.DB(); e == nil {
			sqlDB.Close()
		}
		return nil, err
	}
	c.owned = true
	return c, nil
}

// NewWithDB uses an open database; Close leaves it open. cfg.DSN is
// ignored.
func NewWithDB(name string, cfg Config, db *gorm.DB) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("connector %s: %w", name, err)
	}
	dialect := db.Dialector.Name()
	if dialect != cfg.Driver {
		return nil, fmt.Errorf("connector %s: driver is %s but the database is %s", name, cfg.Driver, dialect)
	}
	c := &Connector{
		name:    name,
		cfg:     cfg,
		db:      db,
		dialect: dialect,
		hashKey: []byte(cfg.HashKey),
		byName:  map[string]*node{},
	}
	var all []*node
	for i := range c.cfg.Datasets {
		d := &c.cfg.Datasets[i]
		n := &node{Dataset: d}
		if d.Hold != nil {
			n.period, _ = ParsePeriod(d.Hold.Period) // validated
		}
		for _, col := range d.Columns {
			switch col.Erase {
			case ColumnNull, ColumnHash, ColumnFixed:
				n.masks = append(n.masks, mask{column: col.Name, strategy: col.Erase, value: col.Value})
			}
		}
		for _, f := range []string{FieldEmail, FieldPhone, FieldAccountID} {
			col, ok := d.Identity[f]
			if ok && !slices.ContainsFunc(n.masks, func(m mask) bool { return m.column == col }) {
				n.masks = append(n.masks, mask{column: col, strategy: ColumnHash})
			}
		}
		c.byName[d.Name] = n
		all = append(all, n)
	}
	for _, n := range all {
		if n.Parent != "" {
			n.parent = c.byName[n.Parent]
			n.parent.children = append(n.parent.children, n)
		}
	}
	// Depth first, so a child follows its parent in the export and, in
	// reverse, precedes it in Erase.
	var visit func(n *node)
	visit = func(n *node) {
		c.nodes = append(c.nodes, n)
		for _, ch := range n.children {
			visit(ch)
		}
	}
	for _, n := range all {
		if n.parent == nil {
			visit(n)
		}
	}
	return c, nil
}

// Close closes the database if New opened it.
func (c *Connector) Close() error {
	if !c.owned {
		return nil
	}
	sqlDB, err := c.db.DB()
	if err != nil {
		return fmt.Errorf("connector %s: close: %w", c.name, err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("connector %s: close: %w", c.name, err)
	}
	return nil
}

// Name is the connector's name.
func (c *Connector) Name() string { return c.name }

// Datasets lists the datasets in graph order with their exported columns.
func (c *Connector) Datasets() []connector.Dataset {
	out := make([]connector.Dataset, 0, len(c.nodes))
	for _, n := range c.nodes {
		out = append(out, c.dataset(n))
	}
	return out
}

func (c *Connector) dataset(n *node) connector.Dataset {
	d := connector.Dataset{Connector: c.name, Name: n.Name}
	for _, col := range n.Columns {
		d.Columns = append(d.Columns, connector.Column{Name: col.Name, Category: col.Category})
	}
	return d
}

// Access streams the subject's rows of every dataset in graph order (a
// parent before its children), each dataset's rows ordered by key. On PostgreSQL all datasets are read from one snapshot.
func (c *Connector) Access(ctx context.Context, s connector.Subject, sink connector.Sink) error {
	if s.Empty() {
		return fmt.Errorf("connector %s: access: %w", c.name, errNoSubject)
	}
	var opts *sql.TxOptions
	if c.dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	err := c.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, n := range c.nodes {
			if err := c.accessDataset(tx, n, s, sink); err != nil {
				return fmt.Errorf("access %s: %w", n.Name, err)
			}
		}
		return nil
	}, opts)
	if err != nil {
		return fmt.Errorf("connector %s: %w", c.name, err)
	}
	return nil
}

func (c *Connector) accessDataset(tx *gorm.DB, n *node, s connector.Subject, sink connector.Sink) error {
	if err := sink.Dataset(c.dataset(n)); err != nil {
		return err
	}
	b := c.builder(s)
	a := b.alias()
	cols := make([]string, len(n.Columns))
	for i, col := range n.Columns {
		cols[i] = a + "." + quote(col.Name)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteTable(n.Table) + " " + a +
		" WHERE " + b.belongs(n, a) + " ORDER BY " + a + "." + quote(n.key())
	rows, err := tx.Raw(q, b.args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	kinds := make([]string, len(types))
	for i, t := range types {
		kinds[i] = strings.ToUpper(t.DatabaseTypeName())
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		// A fresh slice per row: the sink may keep it.
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = normalise(v, kinds[i])
		}
		if err := sink.Row(out); err != nil {
			return err
		}
	}
	return rows.Err()
}

// normalise makes a driver value JSON-friendly: text as string, numerics as
// numbers, SQLite's 0/1 booleans as bool. Times stay time.Time.
func normalise(v any, kind string) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		if isNumeric(kind) {
			if _, err := strconv.ParseFloat(x, 64); err == nil {
				// json.Number keeps every digit of a NUMERIC.
				return json.Number(x)
			}
		}
		return x
	case int64:
		if kind == "BOOLEAN" || kind == "BOOL" {
			return x != 0
		}
	}
	return v
}

func isNumeric(kind string) bool {
	return kind == "NUMERIC" || kind == "DECIMAL" || strings.HasPrefix(kind, "NUMERIC(") || strings.HasPrefix(kind, "DECIMAL(")
}

// hash is the keyed hash erasure leaves in place of a value.
func (c *Connector) hash(v string) string {
	m := hmac.New(sha256.New, c.hashKey)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

// looksHashed reports whether v is what hash returns, so that a second
// erasure leaves it alone.
func looksHashed(v string) bool {
	if len(v) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
			return false
		}
	}
	return true
}

// text is the string a value is hashed and compared as.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

func quote(ident string) string { return `"` + ident + `"` }

func quoteTable(t string) string {
	if schema, table, ok := strings.Cut(t, "."); ok {
		return quote(schema) + "." + quote(table)
	}
	return quote(t)
}

// errNoSubject is returned when the subject has no identity at all: every
// query would match nothing, which would look like success.
var errNoSubject = errors.New("subject has no email, phone or account id")
