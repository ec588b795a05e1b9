package export_test

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/export"
)

func TestSigner(t *testing.T) {
	s := &export.Signer{Key: bytes.Repeat([]byte{9}, 32)}
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	exp := now.Add(export.LinkLifetime)
	q, err := url.ParseQuery(s.Sign("abc123", exp))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify("abc123", q, now); err != nil {
		t.Fatalf("fresh link: %v", err)
	}
	if err := s.Verify("abc123", q, exp.Add(-time.Second)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	for _, at := range []time.Time{exp, exp.Add(time.Hour)} {
		if err := s.Verify("abc123", q, at); !errors.Is(err, export.ErrExpired) {
			t.Errorf("at %v: %v, want ErrExpired", at, err)
		}
	}

	with := func(k, v string) url.Values {
		c := url.Values{"exp": {q.Get("exp")}, "sig": {q.Get("sig")}}
		c.Set(k, v)
		return c
	}
	sig := []byte(q.Get("sig"))
	sig[0] ^= 1
	later := exp.Add(24 * time.Hour).Unix()
	bad := map[string]struct {
		id string
		q  url.Values
		s  *export.Signer
	}{
		"other ID":              {"abc124", q, s},
		"altered signature":     {"abc123", with("sig", string(sig)), s},
		"signature not hex":     {"abc123", with("sig", "zz"), s},
		"later expiry":          {"abc123", with("exp", strconv.FormatInt(later, 10)), s},
		"no signature":          {"abc123", url.Values{"exp": {q.Get("exp")}}, s},
		"no expiry":             {"abc123", url.Values{"sig": {q.Get("sig")}}, s},
		"two expiries":          {"abc123", url.Values{"exp": {q.Get("exp"), q.Get("exp")}, "sig": {q.Get("sig")}}, s},
		"other key":             {"abc123", q, &export.Signer{Key: bytes.Repeat([]byte{8}, 32)}},
		"short key":             {"abc123", q, &export.Signer{Key: []byte("short")}},
		"empty":                 {"abc123", url.Values{}, s},
		"expiry with leading +": {"abc123", with("exp", "+"+q.Get("exp")), s},
	}
	for name, b := range bad {
		if err := b.s.Verify(b.id, b.q, now); !errors.Is(err, export.ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	// An expired link with a bad signature learns nothing of its expiry.
	if err := s.Verify("abc124", q, exp.Add(time.Hour)); !errors.Is(err, export.ErrBadSignature) {
		t.Errorf("forged and expired: %v", err)
	}
}

func TestIDs(t *testing.T) {
	a, b := export.NewID(), export.NewID()
	if a == b || !export.ValidID(a) || len(a) != 32 {
		t.Fatalf("NewID: %q %q", a, b)
	}
	for _, bad := range []string{"", "a.b", "../x", "a/b", "a b", string(make([]byte, 129))} {
		if export.ValidID(bad) {
			t.Errorf("%q valid", bad)
		}
	}
	if k := export.ArchiveKey(a); k != "exports/"+a+".zip" || !export.ValidKey(k) {
		t.Errorf("ArchiveKey: %q", k)
	}
}
