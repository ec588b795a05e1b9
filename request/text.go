package request

import (
	"fmt"
	"regexp"
)

// TextKind says which characters besides printable text a field may hold.
type TextKind int

const (
	// SingleLine is a name, an address, a reference, a tenant, a tag: no
	// control character at all, and no line or paragraph separator, which
	// would break the line it is shown or logged on.
	SingleLine TextKind = iota
	// MultiLine is free text (details, notes, explanations): tabs and line
	// breaks (LF, CR) besides printable text.
	MultiLine
)

// CheckText refuses the characters no field of a case may hold: NUL, which
// PostgreSQL cannot store in text (the case would never be projected), the
// other C0 controls and DEL, and the C1 controls U+0080–U+009F, none of
// which a person types. A MultiLine field may hold tab, LF and CR. A
// SingleLine field may not, nor U+2028 or U+2029 (line and paragraph
// separators), which split a line as a newline does. The error names the
// character and its byte offset, never the text.
func CheckText(s string, kind TextKind) error {
	for i, r := range s {
		switch {
		case r == 0:
			return fmt.Errorf("holds a NUL character (at byte %d)", i)
		case kind == MultiLine && (r == '\t' || r == '\n' || r == '\r'):
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return fmt.Errorf("holds the control character U+%04X (at byte %d)%s", r, i, allowedHint(kind))
		case kind == SingleLine && (r == '\u2028' || r == '\u2029'):
			return fmt.Errorf("holds the line separator U+%04X (at byte %d); this field is one line", r, i)
		}
	}
	return nil
}

func allowedHint(kind TextKind) string {
	if kind == MultiLine {
		return "; only tab and line breaks are allowed"
	}
	return "; this field is one line of printable text"
}

// MaxTenant is the longest tenant name.
const MaxTenant = 63

// tenantName is the grammar of a tenant: lower-case letters, digits and
// inner or trailing hyphens, starting with a letter or digit, at most
// MaxTenant characters, like a DNS label, so that it is safe in URLs,
// metric labels, file names and comma-separated key lists alike.
var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CheckTenant checks a tenant name against the grammar.
func CheckTenant(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("required")
	case len(s) > MaxTenant:
		return fmt.Errorf("at most %d characters, not %d", MaxTenant, len(s))
	case !tenantName.MatchString(s):
		return fmt.Errorf("%.80q is not a tenant name: lower-case letters, digits and hyphens, starting with a letter or digit", s)
	}
	return nil
}
