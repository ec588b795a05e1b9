package storetest

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
)

// eventBeforeV3 is store.Event as it was before hash versions: the table a
// database created by that code has.
type eventBeforeV3 struct {
	ID         uint64     `gorm:"column:id;primaryKey;autoIncrement"`
	CaseID     string     `gorm:"column:case_id;type:text;not null;uniqueIndex:idx_audit_events_case_seq,priority:1;uniqueIndex:idx_audit_events_case_key,priority:1"`
	Seq        int64      `gorm:"column:seq;not null;uniqueIndex:idx_audit_events_case_seq,priority:2"`
	Key        string     `gorm:"column:key;type:text;not null;uniqueIndex:idx_audit_events_case_key,priority:2"`
	Kind       string     `gorm:"column:kind;type:text;not null"`
	Actor      string     `gorm:"column:actor;type:text;not null"`
	Detail     string     `gorm:"column:detail;type:text;not null"`
	OccurredAt time.Time  `gorm:"column:occurred_at;not null"`
	RecordedAt time.Time  `gorm:"column:recorded_at;not null"`
	PrevHash   string     `gorm:"column:prev_hash;type:text;not null"`
	Hash       string     `gorm:"column:hash;type:text;not null"`
	DetailHash string     `gorm:"column:detail_hash;type:text;not null;default:''"`
	RedactedAt *time.Time `gorm:"column:redacted_at"`
}

func (eventBeforeV3) TableName() string { return "audit_events" }

// LegacyAuditTrail replaces s's audit_events table (migrated or not) with
// the one the store created before hash versions, holding the trail of case
// "legacy" as that store wrote it (its EventHash made the hashes): seq 1
// from before detail hashes, the rest with them, seq 4 stamped before seq 3
// as the old trail allowed, and seq 2's detail since redacted by retention.
// It returns the four events' hashes in seq order.
func LegacyAuditTrail(t testing.TB, s *store.Store) []string {
	t.Helper()
	db := s.DB()
	if err := db.Migrator().DropTable("audit_events"); err != nil {
		t.Fatalf("storetest: drop audit_events: %v", err)
	}
	if err := db.AutoMigrate(&eventBeforeV3{}); err != nil {
		t.Fatalf("storetest: create the old audit_events: %v", err)
	}
	if db.Migrator().HasColumn("audit_events", "hash_version") {
		t.Fatal("storetest: the old audit_events already has hash_version")
	}
	trail := legacyTrail()
	if err := db.Create(&trail).Error; err != nil {
		t.Fatalf("storetest: write the old trail: %v", err)
	}
	hashes := make([]string, len(trail))
	for i, e := range trail {
		hashes[i] = e.Hash
	}
	return hashes
}

// legacyTrail is the old trail; see LegacyAuditTrail.
func legacyTrail() []eventBeforeV3 {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	redacted := at("2026-01-05T03:00:00Z")
	return []eventBeforeV3{
		{CaseID: "legacy", Seq: 1, Key: "case:opened", Kind: "case.opened", Actor: "key:portal", Detail: `{"channel":"web"}`,
			OccurredAt: at("2025-11-03T09:00:00.123456Z"), RecordedAt: at("2025-11-03T09:00:01.5Z"),
			Hash: "3cef6d275aaa8e25b47ba32a76b1899574e64b3cb32119a54515c3dd4ca2f52b"},
		{CaseID: "legacy", Seq: 2, Key: "case:noted:1", Kind: "case.noted", Actor: "Wang", Detail: store.RedactedDetail,
			OccurredAt: at("2025-11-04T10:00:00Z"), RecordedAt: at("2025-11-04T10:00:00.2Z"), RedactedAt: &redacted,
			PrevHash:   "3cef6d275aaa8e25b47ba32a76b1899574e64b3cb32119a54515c3dd4ca2f52b",
			Hash:       "c3ca4ebba727608013087bc4a5577c8c42b108a3915e5067289202cf72926412",
			DetailHash: "3a2dfa697b618d81b877eb90d7923f3c0b5ead407ba539d617503b31f2c74216"},
		{CaseID: "legacy", Seq: 3, Key: "notice:sent:1", Kind: "notice.sent", Actor: "system", Detail: `{"kind":"acknowledgement"}`,
			OccurredAt: at("2025-11-04T10:00:05Z"), RecordedAt: at("2025-11-04T10:00:05.3Z"),
			PrevHash:   "c3ca4ebba727608013087bc4a5577c8c42b108a3915e5067289202cf72926412",
			Hash:       "6fc66ef867af46b945bf2829b4176d475f19f23d9188bdfe80c98d075a6d40d0",
			DetailHash: "fd8e5b1802124b10cd35bf19b1927431d9ed5e067e71b4f4b1e55049ccef9c50"},
		{CaseID: "legacy", Seq: 4, Key: "export:link:1", Kind: "export.link_issued", Actor: "system", Detail: `{"expires_at":"2025-11-11T10:00:00Z"}`,
			OccurredAt: at("2025-11-04T10:00:03Z"), RecordedAt: at("2025-11-04T10:00:05.4Z"),
			PrevHash:   "6fc66ef867af46b945bf2829b4176d475f19f23d9188bdfe80c98d075a6d40d0",
			Hash:       "fa9d340edd61202d0c15ee09fdccf5eed561749a91b463483bbe1e420aeeebff",
			DetailHash: "20b9215da5f315617424e061844b775c32625263c33d6a26e05aed3dce85e43d"},
	}
}
