package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Event is one entry in a case's audit trail. Entries are chained: each
// carries the hash of the one before, so that an edited, deleted or
// reordered entry shows up in VerifyChain.
type Event struct {
	ID     uint64 `gorm:"column:id;primaryKey;autoIncrement"`
	CaseID string `gorm:"column:case_id;type:text;not null;uniqueIndex:idx_audit_events_case_seq,priority:1;uniqueIndex:idx_audit_events_case_key,priority:1"`
	// Seq numbers a case's events 1, 2, 3...; assigned by AppendEvent.
	Seq int64 `gorm:"column:seq;not null;uniqueIndex:idx_audit_events_case_seq,priority:2"`
	// Key makes appends idempotent, e.g. "notice:extension:1": an activity
	// retried after a lost reply must not record the same thing twice.
	Key   string `gorm:"column:key;type:text;not null;uniqueIndex:idx_audit_events_case_key,priority:2"`
	Kind  string `gorm:"column:kind;type:text;not null"`
	Actor string `gorm:"column:actor;type:text;not null"`
	// Detail is JSON text. It is stored as text, not jsonb, because the hash
	// covers its exact bytes and jsonb would normalise them.
	Detail     string    `gorm:"column:detail;type:text;not null"`
	OccurredAt time.Time `gorm:"column:occurred_at;not null"`
	RecordedAt time.Time `gorm:"column:recorded_at;not null"`
	PrevHash   string    `gorm:"column:prev_hash;type:text;not null"`
	Hash       string    `gorm:"column:hash;type:text;not null"`
	// DetailHash is the SHA-256 of Detail, which the chain covers instead
	// of Detail itself, so that retention can remove personal data from a
	// detail and the chain still proves what happened and when. Events
	// recorded before it existed have none and cover Detail directly.
	DetailHash string `gorm:"column:detail_hash;type:text;not null;default:''"`
	// RedactedAt is when retention replaced Detail with RedactedDetail.
	RedactedAt *time.Time `gorm:"column:redacted_at"`
	// HashVersion says which rule made Hash (see EventHash). Rows written
	// before it existed get the column's default, 0, and keep verifying by
	// the rule they were written under.
	HashVersion int `gorm:"column:hash_version;not null;default:0"`
}

// Hash versions. HashLegacy covers OccurredAt but not RecordedAt, and
// Detail itself when DetailHash is empty; HashV3 covers both times and
// always goes through DetailHash.
const (
	HashLegacy = 0
	HashV3     = 3
)

// RedactedDetail is the detail of an event whose personal data retention
// removed. Nothing else may stand there: a changed detail either fails its
// hash or shows as this.
const RedactedDetail = `{"redacted":"personal data removed by retention"}`

func detailHash(detail string) string {
	sum := sha256.Sum256([]byte(detail))
	return hex.EncodeToString(sum[:])
}

// TableName implements gorm's tabler.
func (Event) TableName() string { return "audit_events" }

// appendAttempts bounds retries after a unique violation, which only happens
// when something appends without taking the per-case lock.
const appendAttempts = 5

// AppendEvent adds e to the end of its case's audit trail, setting e.Seq,
// e.PrevHash, e.Hash, e.RecordedAt and e.ID. A zero e.OccurredAt means now;
// times are rounded to microseconds in UTC, as they are stored.
//
// Appends are idempotent by (CaseID, Key): if the key is already in the
// trail, AppendEvent returns false and fills e with the stored event; the
// first write wins. The case row need not exist yet, since projections of
// the case may lag behind its audit events.
func (s *Store) AppendEvent(ctx context.Context, e *Event) (appended bool, err error) {
	if err := e.check(); err != nil {
		return false, err
	}

	row := *e
	row.ID = 0
	row.OccurredAt = normTime(row.OccurredAt)
	for attempt := 1; ; attempt++ {
		appended, err = s.appendOnce(ctx, &row)
		if err == nil {
			*e = row
			return appended, nil
		}
		if !isUniqueViolation(err) || attempt == appendAttempts {
			return false, fmt.Errorf("append event %s to case %s: %w", e.Key, e.CaseID, err)
		}
	}
}

// appendOnce runs one append transaction. It writes into e only what the
// attempt decided; the caller copies e out once it succeeds.
func (s *Store) appendOnce(ctx context.Context, e *Event) (appended bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		appended, err = s.appendIn(tx, e)
		return err
	})
	return appended, err
}

func (e *Event) check() error {
	if e.CaseID == "" {
		return errors.New("append event: empty case id")
	}
	if e.Key == "" || e.Kind == "" || e.Actor == "" {
		return fmt.Errorf("append event to case %s: key, kind and actor are required", e.CaseID)
	}
	if e.Detail != "" && !json.Valid([]byte(e.Detail)) {
		return fmt.Errorf("append event %s to case %s: detail is not valid JSON", e.Key, e.CaseID)
	}
	return nil
}

// appendIn appends e within the transaction tx.
func (s *Store) appendIn(tx *gorm.DB, e *Event) (appended bool, err error) {
	if s.backend == Postgres {
		// Serialise appenders of one case. Locking the last event row
		// FOR UPDATE would not cover a case's first event, which has no
		// row to lock yet. SQLite needs nothing: the store's single
		// connection and BEGIN IMMEDIATE already admit one writer.
		lock := fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, hashtext(?))", lockClassAudit)
		if err := tx.Exec(lock, e.CaseID).Error; err != nil {
			return false, fmt.Errorf("lock case: %w", err)
		}
	}

	var existing Event
	res := tx.Where(`case_id = ? AND "key" = ?`, e.CaseID, e.Key).Limit(1).Find(&existing)
	if res.Error != nil {
		return false, fmt.Errorf("look up key: %w", res.Error)
	}
	if res.RowsAffected > 0 {
		existing.normTimes()
		*e = existing
		return false, nil
	}

	var last Event
	res = tx.Select("seq", "hash", "recorded_at").Where("case_id = ?", e.CaseID).Order("seq DESC").Limit(1).Find(&last)
	if res.Error != nil {
		return false, fmt.Errorf("read last event: %w", res.Error)
	}

	e.ID = 0
	e.Seq = last.Seq + 1
	e.PrevHash = last.Hash
	// The number and the recording time are given together, under the
	// case's lock, so that the trail read by seq never goes back in time,
	// even if this host's clock is behind the last writer's or stepped back.
	e.RecordedAt = s.db.NowFunc()
	if prev := normTime(last.RecordedAt); e.RecordedAt.Before(prev) {
		e.RecordedAt = prev
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = e.RecordedAt
	}
	e.DetailHash = detailHash(e.Detail)
	e.HashVersion = HashV3
	e.Hash = EventHash(e)
	if err := tx.Create(e).Error; err != nil {
		return false, fmt.Errorf("insert seq %d: %w", e.Seq, err)
	}
	return true, nil
}

// EventHash returns the hex SHA-256 that chains e to its predecessor, by
// the rule e.HashVersion names, or "" for a version it does not know. Each
// field is written as its length in bytes, a colon and the bytes, so that
// moving characters from one field to the next changes the hash. Times are
// written in UTC, RFC 3339 with nanoseconds, trailing zeros dropped.
//
// HashV3 covers "v3", PrevHash, CaseID, Seq, Key, Kind, Actor, DetailHash,
// OccurredAt and RecordedAt, in that order.
//
// HashLegacy, the rule of events recorded before RecordedAt was covered,
// covers PrevHash, CaseID, Seq, Key, Kind, Actor, Detail and OccurredAt;
// an event with a DetailHash is covered through it (and a leading "v2")
// instead of Detail. Its RecordedAt is not covered.
//
// ID is left out: it is the database's bookkeeping. Detail is covered
// through its hash so that retention can redact it (see DetailHash).
func EventHash(e *Event) string {
	var fields []string
	switch e.HashVersion {
	case HashV3:
		fields = []string{
			"v3",
			e.PrevHash,
			e.CaseID,
			strconv.FormatInt(e.Seq, 10),
			e.Key,
			e.Kind,
			e.Actor,
			e.DetailHash,
			e.OccurredAt.UTC().Format(time.RFC3339Nano),
			e.RecordedAt.UTC().Format(time.RFC3339Nano),
		}
	case HashLegacy:
		fields = []string{
			e.PrevHash,
			e.CaseID,
			strconv.FormatInt(e.Seq, 10),
			e.Key,
			e.Kind,
			e.Actor,
			e.Detail,
			e.OccurredAt.UTC().Format(time.RFC3339Nano),
		}
		if e.DetailHash != "" {
			fields[6] = e.DetailHash
			fields = append([]string{"v2"}, fields...)
		}
	default:
		return ""
	}
	h := sha256.New()
	for _, f := range fields {
		h.Write(strconv.AppendInt(nil, int64(len(f)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (e *Event) normTimes() {
	e.OccurredAt = normTime(e.OccurredAt)
	e.RecordedAt = normTime(e.RecordedAt)
}

// Events returns a case's audit trail in order.
func (s *Store) Events(ctx context.Context, caseID string) ([]Event, error) {
	var events []Event
	if err := s.db.WithContext(ctx).Where("case_id = ?", caseID).Order("seq").Find(&events).Error; err != nil {
		return nil, fmt.Errorf("list events of case %s: %w", caseID, err)
	}
	for i := range events {
		events[i].normTimes()
	}
	return events, nil
}

// ChainError reports the first broken link in a case's audit trail.
type ChainError struct {
	CaseID string
	// Seq is where the break shows: the event whose contents or link do not
	// match, or the first missing number.
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit trail of case %s broken at seq %d: %s", e.CaseID, e.Seq, e.Reason)
}

// chain follows one case's events in seq order.
type chain struct {
	caseID   string
	next     int64
	prevHash string
	// prevV3At is the RecordedAt of the previous event if the hash covers
	// it, which only HashV3 does; zero otherwise.
	prevV3At time.Time
}

func newChain(caseID string) *chain { return &chain{caseID: caseID, next: 1} }

// check accepts e as the next link or says why it is not.
func (c *chain) check(e *Event) *ChainError {
	broken := func(seq int64, format string, args ...any) *ChainError {
		return &ChainError{CaseID: c.caseID, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case e.Seq > c.next:
		return broken(c.next, "event missing (next present is seq %d)", e.Seq)
	case e.Seq < c.next:
		return broken(e.Seq, "seq repeated or out of order (expected %d)", c.next)
	case e.HashVersion != HashLegacy && e.HashVersion != HashV3:
		return broken(e.Seq, "unknown hash version %d", e.HashVersion)
	case e.HashVersion == HashV3 && e.DetailHash == "":
		return broken(e.Seq, "detail hash missing")
	case e.Hash != EventHash(e):
		return broken(e.Seq, "contents do not match hash")
	case e.DetailHash != "" && e.RedactedAt == nil && detailHash(e.Detail) != e.DetailHash:
		return broken(e.Seq, "detail does not match its hash")
	case e.RedactedAt != nil && (e.DetailHash == "" || e.Detail != RedactedDetail):
		return broken(e.Seq, "detail altered under the name of redaction")
	case e.PrevHash != c.prevHash:
		return broken(e.Seq, "prev_hash does not match the hash of seq %d", e.Seq-1)
	case e.HashVersion == HashV3 && e.RecordedAt.Before(c.prevV3At):
		// Both times are under the chain, so the store did not write this.
		return broken(e.Seq, "recorded_at earlier than that of seq %d", e.Seq-1)
	}
	c.next++
	c.prevHash = e.Hash
	c.prevV3At = time.Time{}
	if e.HashVersion == HashV3 {
		c.prevV3At = e.RecordedAt
	}
	return nil
}

// VerifyChain recomputes a case's hash chain and returns a *ChainError at the
// first broken link, or nil if the trail is intact. Deleting the newest
// events leaves a shorter chain that is still valid; that needs an anchor
// outside the trail to catch.
func (s *Store) VerifyChain(ctx context.Context, caseID string) error {
	c := newChain(caseID)
	var chainErr *ChainError
	err := s.scanEvents(ctx, caseID, func(e *Event) bool {
		chainErr = c.check(e)
		return chainErr == nil
	})
	if err != nil {
		return fmt.Errorf("verify case %s: %w", caseID, err)
	}
	if chainErr != nil {
		return chainErr
	}
	return nil
}

// VerifyAll checks every case's audit trail and returns one ChainError per
// broken case. The error is only for failing to read the trail.
func (s *Store) VerifyAll(ctx context.Context) ([]ChainError, error) {
	var (
		broken []ChainError
		c      *chain
		skip   bool // the current case is already reported
	)
	err := s.scanEvents(ctx, "", func(e *Event) bool {
		if c == nil || e.CaseID != c.caseID {
			c, skip = newChain(e.CaseID), false
		}
		if skip {
			return true
		}
		if ce := c.check(e); ce != nil {
			broken = append(broken, *ce)
			skip = true
		}
		return true
	})
	if err != nil {
		return broken, fmt.Errorf("verify all cases: %w", err)
	}
	return broken, nil
}

// scanEvents calls visit for the events of caseID (of every case if caseID
// is empty) in (case_id, seq) order until visit returns false. It pages by
// key instead of holding a cursor open, so a long scan neither loads the
// whole trail nor ties up SQLite's only connection.
func (s *Store) scanEvents(ctx context.Context, caseID string, visit func(*Event) bool) error {
	var (
		afterCase string
		afterSeq  int64
	)
	for {
		q := s.db.WithContext(ctx).Limit(s.scanPage)
		if caseID != "" {
			q = q.Where("case_id = ? AND seq > ?", caseID, afterSeq).Order("seq")
		} else {
			q = q.Where("(case_id, seq) > (?, ?)", afterCase, afterSeq).Order("case_id, seq")
		}
		var page []Event
		if err := q.Find(&page).Error; err != nil {
			return err
		}
		for i := range page {
			if !visit(&page[i]) {
				return nil
			}
		}
		if len(page) < s.scanPage {
			return nil
		}
		last := page[len(page)-1]
		afterCase, afterSeq = last.CaseID, last.Seq
	}
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either backend. It matches on behaviour rather than driver types so the
// store does not import the drivers' internals.
func isUniqueViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY; the
		// driver enables extended result codes.
		return lite.Code() == 2067 || lite.Code() == 1555
	}
	return false
}
