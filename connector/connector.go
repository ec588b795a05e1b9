// Package connector names what dsrflow asks of a data system that holds
// personal data: a copy of the subject's rows, their erasure (or
// restriction while the law says keep them), corrections, the checks before
// an account is cancelled, and the account's deactivation. Each kind of
// system (a SQL database, an HTTP service) implements Connector in its own
// package; systems with no API are manual tasks, which the workflow keeps.
//
// Every operation is idempotent: run twice for the same subject, it leaves
// the system as running it once does, so an activity retried after a crash
// never changes the data twice.
package connector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Subject finds the data subject in the data systems. It is personal data:
// never log it.
type Subject struct {
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	AccountID string `json:"account_id,omitempty"`
}

// Empty reports whether the subject has no identity to look up by.
func (s Subject) Empty() bool { return s.Email == "" && s.Phone == "" && s.AccountID == "" }

// Column is one column of a dataset and the data category it holds
// (contact, identity, transaction, device...), for the export's manifest.
type Column struct {
	Name     string `json:"name"`
	Category string `json:"category,omitempty"`
}

// Dataset is one table or collection of a connector.
type Dataset struct {
	Connector string   `json:"connector"`
	Name      string   `json:"name"`
	Columns   []Column `json:"columns"`
}

// Sink receives the subject's rows, one dataset after the other, as they are
// read, so that memory does not grow with the size of the data. Values are
// in Columns order; nil is SQL NULL.
type Sink interface {
	Dataset(d Dataset) error
	Row(values []any) error
}

// Erasure reports what Erase did to one dataset.
type Erasure struct {
	Dataset string `json:"dataset"`
	// Strategy is how rows were erased: delete, null, hash or fixed.
	Strategy string `json:"strategy"`
	// Erased counts rows deleted or masked by this call; a retry after a
	// crash may count fewer, the work having been done before.
	Erased int64 `json:"erased"`
	// Held counts rows a retention hold keeps; they are restricted now.
	Held int64 `json:"held,omitempty"`
	// HeldUntil is when the last of the held rows may go; Erase is called
	// again then.
	HeldUntil *time.Time `json:"held_until,omitempty"`
	// Hold names the legal ground of the hold ("transaction records, 3 years").
	Hold string `json:"hold,omitempty"`
}

// Correction asks to set one field of the subject's data. Field is
// "dataset.column".
type Correction struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Split is the dataset and column a correction's field names.
func (c Correction) Split() (dataset, column string, err error) {
	d, col, ok := strings.Cut(c.Field, ".")
	if !ok || d == "" || col == "" || strings.Contains(col, ".") {
		return "", "", fmt.Errorf("field %q: want dataset.column", c.Field)
	}
	return d, col, nil
}

// Applied reports one correction applied: how many rows changed.
type Applied struct {
	Field string `json:"field"`
	Rows  int64  `json:"rows"`
}

// Obstacle is something that must be settled before an account is
// cancelled: a balance, an asset, an active subscription.
type Obstacle struct {
	Check   string `json:"check"`
	Message string `json:"message"`
}

// Operations a connector offers, as configuration and the workflow name
// them.
const (
	OpAccess     = "access"
	OpErase      = "erase"
	OpCorrect    = "correct"
	OpCheck      = "check"
	OpDeactivate = "deactivate"
)

// Connector is one data system.
type Connector interface {
	// Name is the connector's name from the configuration.
	Name() string
	// Datasets lists the datasets the connector reads and erases.
	Datasets() []Dataset
	// Access streams a copy of all of the subject's rows into sink.
	Access(ctx context.Context, s Subject, sink Sink) error
	// Erase erases the subject's rows that no retention hold keeps as of
	// now, and restricts the held ones. Calling it again after HeldUntil
	// erases what was held.
	Erase(ctx context.Context, s Subject, now time.Time) ([]Erasure, error)
	// Correct applies corrections whose dataset the connector holds and
	// ignores the others.
	Correct(ctx context.Context, s Subject, cs []Correction) ([]Applied, error)
	// Check lists what must be settled before the account is cancelled.
	Check(ctx context.Context, s Subject) ([]Obstacle, error)
	// Deactivate ends the subject's account; their data stays until Erase.
	Deactivate(ctx context.Context, s Subject) error
}

// ErrUnsupported is returned by an operation a connector does not offer
// (a log store has nothing to deactivate); the workflow skips it.
var ErrUnsupported = errors.New("not supported by this connector")

// Holds returns the latest HeldUntil of the erasures, or nil when nothing is
// held.
func Holds(es []Erasure) *time.Time {
	var last *time.Time
	for _, e := range es {
		if e.HeldUntil != nil && (last == nil || e.HeldUntil.After(*last)) {
			t := *e.HeldUntil
			last = &t
		}
	}
	return last
}

type requestIDKey struct{}

// WithRequestID carries the operation's idempotency key to the connector:
// the same on every retry of the operation, so a system that dedupes by it
// applies a change once.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the idempotency key WithRequestID set, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// PermanentError marks a failure that retrying will not cure (a 4xx answer,
// a configuration error); the workflow hands the work to a person at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string   { return e.Err.Error() }
func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// IsPermanent reports whether err is, or wraps, an error that says it is
// permanent (a PermanentError, or a connector's own type with a
// Permanent method).
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
