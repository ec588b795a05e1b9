package sqldb

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Drivers.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Dataset erase strategies.
const (
	EraseDelete = "delete"
	EraseMask   = "mask"
)

// Column erase strategies.
const (
	ColumnDelete = "delete"
	ColumnNull   = "null"
	ColumnHash   = "hash"
	ColumnFixed  = "fixed"
	ColumnKeep   = "keep"
)

// Subject fields an identity may map; the names of connector.Subject's JSON
// fields.
const (
	FieldEmail     = "email"
	FieldPhone     = "phone"
	FieldAccountID = "account_id"
)

// Now, as a value of Deactivate.Set, stands for the time of the call.
const Now = "now"

// minHashKey is the shortest hash_key accepted: a short key would let
// anyone who sees a hashed column confirm guesses of the value.
const minHashKey = 16

// Config is one SQL database. It sits in the engine's configuration under
// connectors[].sql; the connector's name lives one level up.
//
// Identifiers (tables, columns) must be plain names ([A-Za-z_][A-Za-z0-9_]*;
// a table may be schema.table). They are double-quoted in SQL, so on
// PostgreSQL they must be spelt as the table was created (lower case for
// tables created without quotes). Values never enter SQL text: they are
// bound parameters.
type Config struct {
	// Driver is postgres or sqlite.
	Driver string `mapstructure:"driver" yaml:"driver"`
	// DSN is the driver's connection string: a postgres:// URL or key=value
	// string, or a SQLite file name or file: URI.
	DSN string `mapstructure:"dsn" yaml:"dsn"`
	// HashKey is the secret of the hash strategy (HMAC-SHA256). It is used
	// as a plain string: its UTF-8 bytes are the key, at least 16 of them.
	// Changing it makes subjects whose rows were hashed unfindable.
	HashKey string `mapstructure:"hash_key" yaml:"hash_key"`
	// Datasets form a forest: roots find the subject by identity, children
	// by their parent's key.
	Datasets []Dataset `mapstructure:"datasets" yaml:"datasets"`
	// Checks run before an account is cancelled.
	Checks []Check `mapstructure:"checks" yaml:"checks"`
	// Deactivate ends an account; nil means the operation is unsupported.
	Deactivate *Deactivate `mapstructure:"deactivate" yaml:"deactivate,omitempty"`
}

// Dataset is one table.
//
// Only the listed Columns are exported by Access. Erase with strategy delete
// deletes whole rows, listed columns or not. With strategy mask the row
// stays and only listed columns (and identity columns) change; every listed
// column must then say how it is erased (keep to leave it), except the key
// and references columns, which are always kept.
type Dataset struct {
	// Name is the dataset's name in exports and corrections (orders).
	Name  string `mapstructure:"name" yaml:"name"`
	Table string `mapstructure:"table" yaml:"table"`
	// Key is the primary key column; default id.
	Key string `mapstructure:"key" yaml:"key,omitempty"`
	// Identity maps subject fields (email, phone, account_id) to columns;
	// roots only. A row is the subject's when any mapped column equals the
	// subject's value or its keyed hash (what erasure leaves behind).
	Identity map[string]string `mapstructure:"identity" yaml:"identity,omitempty"`
	// Parent names the dataset this one belongs to; children only.
	Parent string `mapstructure:"parent" yaml:"parent,omitempty"`
	// References is this table's column holding the parent's key.
	References string   `mapstructure:"references" yaml:"references,omitempty"`
	Columns    []Column `mapstructure:"columns" yaml:"columns"`
	// Erase is delete (default) or mask.
	Erase string `mapstructure:"erase" yaml:"erase,omitempty"`
	// Hold keeps recent rows the law says to keep. Rows of child datasets
	// of a held row are held with it.
	Hold *Hold `mapstructure:"hold" yaml:"hold,omitempty"`
	// Restrict marks held rows, and rows kept because they have held
	// descendants; required with Hold.
	Restrict *Restrict `mapstructure:"restrict" yaml:"restrict,omitempty"`
}

// Column is one exported column.
type Column struct {
	Name     string `mapstructure:"name" yaml:"name"`
	Category string `mapstructure:"category" yaml:"category,omitempty"`
	// Erase is how the column is erased when the row is masked rather than
	// deleted: null, hash (HMAC-SHA256 hex of the old value, so a text
	// column), fixed (set to Value) or keep. In a delete dataset it may be
	// empty or delete (the row goes), or name how to mask the column while
	// the row is kept because it has held descendants; empty means keep
	// then.
	//
	// A value that is already 64 lowercase hex digits is taken as hashed and
	// left as it is, so that a second Erase does not hash the hash.
	Erase string `mapstructure:"erase" yaml:"erase,omitempty"`
	// Value is what fixed sets.
	Value any `mapstructure:"value" yaml:"value,omitempty"`
	// Correctable lets Correct set this column.
	Correctable bool `mapstructure:"correctable" yaml:"correctable,omitempty"`
}

// Hold keeps a row while Column (a timestamp) is after now minus Period.
// Rows whose Column is NULL are not held.
type Hold struct {
	Column string `mapstructure:"column" yaml:"column"`
	// Period is a sum of <n><unit> with unit y, mo, w or d: 3y, 6mo, 60d,
	// 1y6mo.
	Period string `mapstructure:"period" yaml:"period"`
	// Ground is the legal reason, reported with the erasure.
	Ground string `mapstructure:"ground" yaml:"ground"`
}

// Restrict is how a row is marked restricted: Column set to Value.
type Restrict struct {
	Column string `mapstructure:"column" yaml:"column"`
	Value  any    `mapstructure:"value" yaml:"value"`
}

// Check is a pre-cancellation check. Query returns one row per thing to
// settle; it may use the named parameters @key (the key of one of the
// subject's rows in Dataset), @email, @phone and @account_id (NULL when the
// subject has none). It runs once per subject row of Dataset; once with
// @key NULL if the subject has no row there.
type Check struct {
	Name string `mapstructure:"name" yaml:"name"`
	// Dataset is the root dataset whose key @key is; default the first
	// root.
	Dataset string `mapstructure:"dataset" yaml:"dataset,omitempty"`
	Query   string `mapstructure:"query" yaml:"query"`
	// Message is the obstacle's text; {{column}} is replaced by that column
	// of the returned row.
	Message string `mapstructure:"message" yaml:"message"`
}

// Deactivate sets columns of the subject's rows of Dataset. A value "now"
// is the time of the call. Rows whose other columns already hold their
// values are left alone, so a retry keeps the first time.
type Deactivate struct {
	Dataset string         `mapstructure:"dataset" yaml:"dataset"`
	Set     map[string]any `mapstructure:"set" yaml:"set"`
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validIdent(s string) bool { return identRE.MatchString(s) }

func validTable(s string) bool {
	schema, table, ok := strings.Cut(s, ".")
	if !ok {
		return validIdent(s)
	}
	return validIdent(schema) && validIdent(table)
}

// paramRE finds the named parameters of a check query, as GORM does.
var paramRE = regexp.MustCompile(`@([A-Za-z_][A-Za-z0-9_]*)`)

var checkParams = []string{"key", FieldEmail, FieldPhone, FieldAccountID}

// Validate reports every problem found, each naming its field path
// (datasets[2].hold.period: ...).
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	switch c.Driver {
	case Postgres, SQLite:
	case "":
		bad("driver", "required (postgres or sqlite)")
	default:
		bad("driver", "%q is not postgres or sqlite", c.Driver)
	}
	if len(c.HashKey) < minHashKey {
		bad("hash_key", "need at least %d bytes", minHashKey)
	}
	if len(c.Datasets) == 0 {
		bad("datasets", "at least one dataset is required")
	}
	byName := map[string]int{}
	for i, d := range c.Datasets {
		if _, dup := byName[d.Name]; dup {
			bad(fmt.Sprintf("datasets[%d].name", i), "%q appears twice", d.Name)
		}
		byName[d.Name] = i
	}
	for i := range c.Datasets {
		c.validateDataset(i, byName, bad)
	}
	// Cycles only after parents are known to exist.
	for i, d := range c.Datasets {
		seen := map[string]bool{d.Name: true}
		for p := d.Parent; p != ""; {
			j, ok := byName[p]
			if !ok {
				break
			}
			if seen[p] {
				bad(fmt.Sprintf("datasets[%d].parent", i), "cycle through %q", p)
				break
			}
			seen[p] = true
			p = c.Datasets[j].Parent
		}
	}
	// Rows below a held row are held with it, so they need a mark too.
	for i, d := range c.Datasets {
		if d.Hold != nil || d.Restrict != nil {
			continue
		}
		for p, depth := d.Parent, 0; p != "" && depth < len(c.Datasets); depth++ {
			j, ok := byName[p]
			if !ok {
				break
			}
			if c.Datasets[j].Hold != nil {
				bad(fmt.Sprintf("datasets[%d].restrict", i), "required: rows below held rows of %q are held with them", p)
				break
			}
			p = c.Datasets[j].Parent
		}
	}
	checkNames := map[string]bool{}
	for i, ch := range c.Checks {
		path := fmt.Sprintf("checks[%d]", i)
		if ch.Name == "" {
			bad(path+".name", "required")
		} else if checkNames[ch.Name] {
			bad(path+".name", "%q appears twice", ch.Name)
		}
		checkNames[ch.Name] = true
		if strings.TrimSpace(ch.Query) == "" {
			bad(path+".query", "required")
		}
		for _, m := range paramRE.FindAllStringSubmatch(ch.Query, -1) {
			if !slices.Contains(checkParams, m[1]) {
				bad(path+".query", "unknown parameter @%s (have @key, @email, @phone, @account_id)", m[1])
			}
		}
		if ch.Message == "" {
			bad(path+".message", "required")
		}
		if ch.Dataset != "" {
			if j, ok := byName[ch.Dataset]; !ok {
				bad(path+".dataset", "no dataset %q", ch.Dataset)
			} else if c.Datasets[j].Parent != "" {
				bad(path+".dataset", "%q is not a root dataset", ch.Dataset)
			}
		}
	}
	if d := c.Deactivate; d != nil {
		if _, ok := byName[d.Dataset]; !ok {
			bad("deactivate.dataset", "no dataset %q", d.Dataset)
		}
		if len(d.Set) == 0 {
			bad("deactivate.set", "at least one column is required")
		}
		for col, v := range d.Set {
			if !validIdent(col) {
				bad("deactivate.set", "%q is not a plain column name", col)
			}
			if v == nil {
				bad("deactivate.set."+col, "value required")
			}
		}
	}
	return errors.Join(errs...)
}

func (c *Config) validateDataset(i int, byName map[string]int, bad func(string, string, ...any)) {
	d := &c.Datasets[i]
	path := fmt.Sprintf("datasets[%d]", i)
	if !validIdent(d.Name) {
		bad(path+".name", "%q is not a plain name", d.Name)
	}
	if !validTable(d.Table) {
		bad(path+".table", "%q is not a plain table name", d.Table)
	}
	key := d.key()
	if !validIdent(key) {
		bad(path+".key", "%q is not a plain column name", key)
	}
	if d.Parent == "" {
		if len(d.Identity) == 0 {
			bad(path+".identity", "a root dataset needs at least one of email, phone, account_id")
		}
		if d.References != "" {
			bad(path+".references", "only for a dataset with a parent")
		}
		for f, col := range d.Identity {
			if f != FieldEmail && f != FieldPhone && f != FieldAccountID {
				bad(path+".identity", "%q is not email, phone or account_id", f)
			}
			if !validIdent(col) {
				bad(path+".identity."+f, "%q is not a plain column name", col)
			}
		}
	} else {
		if len(d.Identity) > 0 {
			bad(path+".identity", "a dataset with a parent finds rows through it; identity is for roots")
		}
		if _, ok := byName[d.Parent]; !ok {
			bad(path+".parent", "no dataset %q", d.Parent)
		}
		if !validIdent(d.References) {
			bad(path+".references", "%q is not a plain column name", d.References)
		}
	}
	strategy := d.strategy()
	if strategy != EraseDelete && strategy != EraseMask {
		bad(path+".erase", "%q is not delete or mask", d.Erase)
	}
	if len(d.Columns) == 0 {
		bad(path+".columns", "at least one column is required: they are what Access exports")
	}
	masked := len(d.Identity) > 0
	cols := map[string]bool{}
	for j, col := range d.Columns {
		cpath := fmt.Sprintf("%s.columns[%d]", path, j)
		if !validIdent(col.Name) {
			bad(cpath+".name", "%q is not a plain column name", col.Name)
		}
		if cols[col.Name] {
			bad(cpath+".name", "%q appears twice", col.Name)
		}
		cols[col.Name] = true
		structural := col.Name == key || (d.Parent != "" && col.Name == d.References)
		identity := d.isIdentity(col.Name)
		switch col.Erase {
		case "", ColumnKeep:
			if col.Erase == "" && strategy == EraseMask && !structural && !identity {
				bad(cpath+".erase", "required in a mask dataset (null, hash, fixed or keep)")
			}
		case ColumnDelete:
			if strategy == EraseMask {
				bad(cpath+".erase", "delete needs the dataset's erase to be delete")
			}
		case ColumnNull, ColumnHash, ColumnFixed:
			masked = true
			if structural {
				bad(cpath+".erase", "the key and references columns are kept")
			}
		default:
			bad(cpath+".erase", "%q is not delete, null, hash, fixed or keep", col.Erase)
		}
		if identity && col.Erase != "" && col.Erase != ColumnHash {
			bad(cpath+".erase", "identity columns are hashed, so the subject can be found again")
		}
		if col.Erase == ColumnFixed && col.Value == nil {
			bad(cpath+".value", "required with erase fixed")
		}
		if col.Erase != ColumnFixed && col.Value != nil {
			bad(cpath+".value", "only with erase fixed")
		}
	}
	if strategy == EraseMask && !masked {
		bad(path+".erase", "mask changes nothing: no column is null, hash or fixed")
	}
	if h := d.Hold; h != nil {
		if !validIdent(h.Column) {
			bad(path+".hold.column", "%q is not a plain column name", h.Column)
		}
		if _, err := ParsePeriod(h.Period); err != nil {
			bad(path+".hold.period", "%v", err)
		}
		if strings.TrimSpace(h.Ground) == "" {
			bad(path+".hold.ground", "required: the legal reason for keeping the rows")
		}
		if d.Restrict == nil {
			bad(path+".restrict", "required with a hold: held rows must be marked restricted")
		}
	}
	if r := d.Restrict; r != nil {
		if !validIdent(r.Column) {
			bad(path+".restrict.column", "%q is not a plain column name", r.Column)
		}
		if r.Value == nil {
			bad(path+".restrict.value", "required")
		}
	}
}

func (d *Dataset) key() string {
	if d.Key == "" {
		return "id"
	}
	return d.Key
}

func (d *Dataset) strategy() string {
	if d.Erase == "" {
		return EraseDelete
	}
	return d.Erase
}

func (d *Dataset) isIdentity(col string) bool {
	for _, c := range d.Identity {
		if c == col {
			return true
		}
	}
	return false
}

// Period is a calendar length: years, months and days, added with
// time.AddDate so that 6mo from 31 August is 3 March, as Go counts.
type Period struct {
	Years, Months, Days int
}

// ParsePeriod reads a sum of <n><unit>, unit y (years), mo (months), w
// (weeks) or d (days): "3y", "6mo", "60d", "1y6mo".
func ParsePeriod(s string) (Period, error) {
	var p Period
	if s == "" {
		return p, errors.New("required, e.g. 3y, 6mo, 60d")
	}
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return Period{}, fmt.Errorf("%q: want <number><unit>, unit y, mo, w or d", s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > 1000 {
			return Period{}, fmt.Errorf("%q: number out of range", s)
		}
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "mo"):
			p.Months += n
			rest = rest[2:]
		case strings.HasPrefix(rest, "y"):
			p.Years += n
			rest = rest[1:]
		case strings.HasPrefix(rest, "w"):
			p.Days += 7 * n
			rest = rest[1:]
		case strings.HasPrefix(rest, "d"):
			p.Days += n
			rest = rest[1:]
		default:
			return Period{}, fmt.Errorf("%q: want <number><unit>, unit y, mo, w or d", s)
		}
	}
	if p == (Period{}) {
		return Period{}, fmt.Errorf("%q: a hold of zero length holds nothing", s)
	}
	return p, nil
}

// After returns t plus the period.
func (p Period) After(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// Before returns t minus the period.
func (p Period) Before(t time.Time) time.Time { return t.AddDate(-p.Years, -p.Months, -p.Days) }
