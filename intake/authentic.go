package intake

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"

	"github.com/dsrflow/dsrflow/mailparse"
)

// authentic reports whether the receiving MTA vouches that m comes from
// its From address: one of the Authentication-Results fields it prepended
// (mailparse.Message.AuthResults, the ones above the first Received
// field), under an authserv-id in trusted, says that DKIM passed with a
// signing domain (d=) aligned with the From domain, that SPF passed for an
// envelope sender (smtp.mailfrom) aligned with it, or that DMARC passed for
// it. Alignment is relaxed, as in DMARC (RFC 7489 3.1): the same
// organizational domain, by the public suffix list.
//
// A From header alone proves nothing: anyone can write one. Results under
// another authserv-id, or below the first Received field, may have been
// written by the sender, so they do not count. With no trusted
// authserv-id configured nothing is authentic.
func authentic(m *mailparse.Message, trusted []string) bool {
	_, fromDomain, ok := strings.Cut(m.From.Address, "@")
	if !ok || len(trusted) == 0 {
		return false
	}
	for _, field := range m.AuthResults {
		// On a malformed result Parse returns those before it, which
		// are as good as any.
		id, results, _ := authres.Parse(stripComments(field))
		if !isTrusted(id, trusted) {
			continue
		}
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DKIMResult:
				if r.Value == authres.ResultPass && aligned(r.Domain, fromDomain) {
					return true
				}
			case *authres.SPFResult:
				if r.Value == authres.ResultPass && aligned(domainOf(r.From), fromDomain) {
					return true
				}
			case *authres.DMARCResult:
				if r.Value == authres.ResultPass && aligned(r.From, fromDomain) {
					return true
				}
			}
		}
	}
	return false
}

func isTrusted(id string, trusted []string) bool {
	for _, t := range trusted {
		if t != "" && strings.EqualFold(id, t) {
			return true
		}
	}
	return false
}

// domainOf returns the domain of an address, or the value itself when it
// is a bare domain (smtp.mailfrom may be either).
func domainOf(v string) string {
	if _, d, ok := strings.Cut(v, "@"); ok {
		return d
	}
	return v
}

// aligned reports whether two domains share their organizational domain.
func aligned(a, b string) bool {
	a = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(a), "."))
	b = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(b), "."))
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	oa, errA := publicsuffix.EffectiveTLDPlusOne(a)
	ob, errB := publicsuffix.EffectiveTLDPlusOne(b)
	return errA == nil && errB == nil && oa == ob
}

// stripComments removes RFC 5322 comments, which authres.Parse would read
// as words: "spf=pass (sender smtp.mailfrom=x@y designates ...)" must not
// name a sender. Quoted strings are kept as they are.
func stripComments(v string) string {
	var sb strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, r := range v {
		switch {
		case escaped:
			escaped = false
			if depth == 0 {
				sb.WriteRune(r)
			}
			continue
		case r == '\\':
			escaped = true
		case quoted:
			if r == '"' {
				quoted = false
			}
		case r == '"' && depth == 0:
			quoted = true
		case r == '(':
			depth++
			continue
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				sb.WriteRune(' ')
			}
			continue
		}
		if depth == 0 {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
