package verification

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

func TestNewCodeShape(t *testing.T) {
	for range 1000 {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if !wellFormed(c) {
			t.Fatalf("code %q is not %d digits", c, Digits)
		}
	}
}

func TestNewCodeDistribution(t *testing.T) {
	const n = 20000
	var counts [Digits][10]int
	seen := make(map[string]bool, n)
	repeats := 0
	prev := ""
	for range n {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if c == prev {
			repeats++
		}
		prev = c
		seen[c] = true
		for i := range Digits {
			counts[i][c[i]-'0']++
		}
	}
	// Two back-to-back repeats is already a one-in-a-million event.
	if repeats > 2 {
		t.Errorf("%d consecutive repeats in %d codes", repeats, n)
	}
	// About 200 birthday collisions are expected among 20k draws from 10^6.
	if len(seen) < n-500 {
		t.Errorf("only %d distinct codes in %d", len(seen), n)
	}
	for pos := range Digits {
		chi := 0.0
		for d := range 10 {
			if counts[pos][d] == 0 {
				t.Errorf("digit %d never appears at position %d", d, pos)
			}
			diff := float64(counts[pos][d]) - n/10.0
			chi += diff * diff / (n / 10.0)
		}
		// 9 degrees of freedom; 40 is far past p = 1e-5.
		if chi > 40 {
			t.Errorf("position %d: chi-square %.1f, counts %v", pos, chi, counts[pos])
		}
	}
}

func TestNewCodeRejectsBiasedValues(t *testing.T) {
	var buf bytes.Buffer
	for _, v := range []uint32{0xFFFFFFFF, limit, 7} {
		binary.Write(&buf, binary.BigEndian, v)
	}
	c, err := newCode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c != "000007" {
		t.Fatalf("got %q, want 000007 (values >= limit must be skipped)", c)
	}
	if _, err := newCode(strings.NewReader("ab")); err == nil {
		t.Fatal("short read: want error")
	}
}

func TestMatch(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	h := Hash(key, "case-1", "042917")
	tests := []struct {
		name   string
		key    []byte
		caseID string
		code   string
		hash   string
		want   bool
	}{
		{"same", key, "case-1", "042917", h, true},
		{"spaced", key, "case-1", " 042 917 ", h, true},
		{"full-width", key, "case-1", "０４２９１７", h, true},
		{"wrong code", key, "case-1", "042918", h, false},
		{"other case", key, "case-2", "042917", h, false},
		{"other key", []byte("another key, just as long as one"), "case-1", "042917", h, false},
		{"empty key", nil, "case-1", "042917", Hash(nil, "case-1", "042917"), false},
		{"short code", key, "case-1", "04291", Hash(key, "case-1", "04291"), false},
		{"bad hash", key, "case-1", "042917", "zz", false},
		{"truncated hash", key, "case-1", "042917", h[:32], false},
	}
	for _, tt := range tests {
		if got := Match(tt.key, tt.caseID, tt.code, tt.hash); got != tt.want {
			t.Errorf("%s: Match = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHashBindsCase(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	if Hash(key, "ab", "c12345") == Hash(key, "a", "bc12345") {
		t.Fatal("case ID and code boundaries are ambiguous")
	}
	first := Hash(key, "case-1", "123456")
	if again := Hash(key, "case-1", "123456"); first != again {
		t.Fatal("Hash is not deterministic")
	}
}

func TestDeriveCode(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	c := DeriveCode(key, "case-1", "verification_code:1")
	if len(c) != Digits || strings.Trim(c, "0123456789") != "" {
		t.Fatalf("code %q", c)
	}
	if DeriveCode(key, "case-1", "verification_code:1") != c {
		t.Error("not the same code twice")
	}
	for _, other := range []string{DeriveCode(key, "case-2", "verification_code:1"), DeriveCode(key, "case-1", "verification_code:2"),
		DeriveCode([]byte("another key of thirty-two bytes!"), "case-1", "verification_code:1")} {
		if other == c {
			t.Errorf("another case, issue or key gave the same code %s", c)
		}
	}
	// Every digit equally likely in every place, roughly.
	var counts [Digits][10]int
	const n = 20000
	for i := range n {
		for p, d := range DeriveCode(key, "case", fmt.Sprint(i)) {
			counts[p][d-'0']++
		}
	}
	for p := range counts {
		for d, k := range counts[p] {
			if k < n/10*85/100 || k > n/10*115/100 {
				t.Errorf("digit %d at place %d: %d of %d", d, p, k, n)
			}
		}
	}
}
