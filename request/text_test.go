package request

import (
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		s         string
		single    bool // refused as one line
		multi     bool // refused as free text
		reasonHas string
	}{
		{"李雷 O'Brien-Smith", false, false, ""},
		{"a\u00a0b é \ufffd", false, false, ""}, // NBSP, accents and a written U+FFFD are text
		{"a\x00b", true, true, "NUL"},
		{"a\x01b", true, true, "U+0001"},
		{"a\x1b[31m", true, true, "U+001B"},
		{"a\x7fb", true, true, "U+007F"},
		{"a\u0085b", true, true, "U+0085"},
		{"a\tb", true, false, "U+0009"},
		{"a\nb\r\n", true, false, "U+000A"},
		{"a\u2028b", true, false, "U+2028"},
		{"a\u2029b", true, false, "U+2029"},
	} {
		single, multi := CheckText(tc.s, SingleLine), CheckText(tc.s, MultiLine)
		if (single != nil) != tc.single || (multi != nil) != tc.multi {
			t.Errorf("%q: single-line %v, free text %v", tc.s, single, multi)
		}
		if single != nil && !strings.Contains(single.Error(), tc.reasonHas) {
			t.Errorf("%q: %v does not name %s", tc.s, single, tc.reasonHas)
		}
		if single != nil && strings.Contains(single.Error(), tc.s) {
			t.Errorf("%q: the error repeats the text: %v", tc.s, single)
		}
	}
}

// The grammar takes every tenant the project's config, tests and examples
// use.
func TestCheckTenant(t *testing.T) {
	for _, ok := range []string{"shop", "bank", "catch-all", "acme", "a", "shop-2", "0", strings.Repeat("a", 63)} {
		if err := CheckTenant(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", " shop ", "Shop", "-shop", "shop_1", "shop.cn", "shop,bank", "*", "商店", strings.Repeat("a", 64), strings.Repeat("a", 100_000)} {
		if err := CheckTenant(bad); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
}
