// Package classify guesses the type of a data-subject request from the
// subject and text of an e-mail to a DPO mailbox, in Chinese and English.
//
// It is a keyword scorer, not a model: staff must be able to see why a
// message got its type, and Result.Matched tells them.
//
// # Reading
//
// Both texts are folded first: NFKC (full-width letters and punctuation
// become ASCII), lower case, traditional Chinese characters of the
// keywords made simplified (Big5 mail writes 刪除). From the body, what the
// sender did not write is dropped: lines quoted with ">", and everything
// from a reply or forward header on ("On ... wrote:", "... 写道：",
// "-----Original Message-----", "-----原始邮件-----", a "发件人:" line, a
// "From:" line followed by "Sent:"/"To:"/"Subject:"), and from a "-- "
// signature line on. So a reply that quotes a notice is scored on what the
// requester added, not on the notice. Negation ("I do not want to delete")
// is not understood.
//
// # Scoring
//
// Keywords (keywords.go) match case-insensitively, English ones on word
// boundaries. Longer terms match first and use up the words they cover, so
// the more specific phrase wins: "delete my account" counts for
// account_cancellation, not also for deletion. A few phrases of no type
// ("Hong Kong SAR") use up words that would mislead.
//
// Each keyword found adds its weight (weak 1, medium 2, strong 3) to its
// type, once in the subject and once in the body. In the subject it counts
// double, since the subject is what the requester chose to say first. A
// reply or forward subject ("Re:", "回复：", "Fwd:") repeats somebody
// else's words, most often our own notice's: it counts as much as the body,
// and only for types the body names too, so it can confirm what the
// requester wrote but never decides, nor argues, on its own.
//
// With s1 the best score and s2 the second best,
//
//	Confidence = (s1 - s2) / (s1 + 1.5)
//
// which is the margin over the runner-up as a share of the evidence,
// damped when the evidence is thin: one weak body word gives 0.4, one
// strong body word 0.67, a strong subject word 0.8, two types equally
// strong 0. It lies in [0, 1).
package classify

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/dsrflow/dsrflow/request"
)

// Result is the guess for one message.
type Result struct {
	// Type is the best-scoring type, also when Confidence is below
	// Threshold (ties go to the type first in request.Types); "" when
	// nothing matched.
	Type       request.Type
	Confidence float64  // 0..1
	Matched    []string // the keywords that decided it, subject first (for the audit trail and staff)
}

// Threshold is the confidence below which intake opens the case as
// unclassified for staff to triage.
const Threshold = 0.6

const (
	subjectFactor = 2.0
	damping       = 1.5
)

// add adds the weight of each keyword in hits, once however often it
// occurs, times factor to scores.
func add(scores map[request.Type]float64, hits []hit, factor float64) {
	seen := map[int]bool{}
	for _, h := range hits {
		if !seen[h.kw] {
			seen[h.kw] = true
			k := keywords[h.kw]
			scores[k.typ] += k.weight * factor
		}
	}
}

// Classify guesses the request type of a message.
func Classify(subject, body string) Result {
	subj, reply := cleanSubject(fold(subject))
	bodyHits := match(squeeze(stripQuoted(fold(body))))
	subjectHits := match(squeeze(subj))

	scores := map[request.Type]float64{}
	add(scores, bodyHits, 1)
	factor := subjectFactor
	if reply {
		// Somebody else's words: they may confirm the body, never decide.
		inBody := maps.Clone(scores)
		subjectHits = slices.DeleteFunc(subjectHits, func(h hit) bool { return inBody[keywords[h.kw].typ] == 0 })
		factor = 1
	}
	add(scores, subjectHits, factor)
	matched := [][]hit{subjectHits, bodyHits}

	var best, second request.Type
	for _, t := range request.Types { // in this order, so that ties are stable
		switch s := scores[t]; {
		case s <= 0:
		case best == "" || s > scores[best]:
			best, second = t, best
		case second == "" || s > scores[second]:
			second = t
		}
	}
	if best == "" {
		return Result{}
	}
	s1, s2 := scores[best], scores[second]
	r := Result{Type: best, Confidence: min(max((s1-s2)/(s1+damping), 0), 1)}
	for _, hits := range matched {
		for _, h := range hits {
			if k := keywords[h.kw]; k.typ == best && !slices.Contains(r.Matched, k.term) {
				r.Matched = append(r.Matched, k.term)
			}
		}
	}
	return r
}

// fold makes text comparable with the keywords: NFKC, lower case,
// simplified Chinese for the characters that matter.
func fold(s string) string {
	s = strings.ToLower(norm.NFKC.String(strings.ToValidUTF8(s, "\uFFFD")))
	return strings.Map(func(r rune) rune {
		if t, ok := traditional[r]; ok {
			return t
		}
		return r
	}, s)
}

var replyPrefix = regexp.MustCompile(`^\s*(re|fwd?|aw|wg|sv|vs|回复|答复|转发)\s*(\[\d+\])?\s*:\s*`)

// cleanSubject removes reply and forward prefixes and reports whether there
// were any.
func cleanSubject(s string) (string, bool) {
	reply := false
	for {
		loc := replyPrefix.FindStringIndex(s)
		if loc == nil || loc[1] == 0 {
			return s, reply
		}
		s, reply = s[loc[1]:], true
	}
}

var quoteSeparators = []string{"original message", "原始邮件", "forwarded message", "转发邮件信息", "转发的邮件"}

var headerLines = []string{"sent:", "date:", "to:", "subject:", "cc:", "发送时间:", "时间:", "日期:", "收件人:", "主题:", "抄送:"}

// OwnWords is what the sender of a reply wrote themselves: the body folded
// (full-width digits and letters made ASCII, lower case) without the quoted
// message or the signature. Intake looks for a verification code here, so
// a code in our own notice, quoted back, does not count as the requester's.
func OwnWords(body string) string { return strings.TrimSpace(stripQuoted(fold(body))) }

// stripQuoted keeps the lines of a folded body that its sender wrote.
func stripQuoted(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out []string
	for i, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, ">"):
			continue
		case t == "--":
			return strings.Join(out, "\n")
		case strings.HasSuffix(t, "wrote:") || strings.HasSuffix(t, "写道:"):
			// Gmail wraps a long "On <date> <name> wrote:" over two lines.
			if n := len(out); n > 0 && !strings.HasPrefix(t, "on ") && !strings.HasPrefix(t, "在") {
				if p := strings.TrimSpace(out[n-1]); strings.HasPrefix(p, "on ") || strings.HasPrefix(p, "在") {
					out = out[:n-1]
				}
			}
			return strings.Join(out, "\n")
		case strings.HasPrefix(t, "--") && slices.Contains(quoteSeparators, strings.Trim(t, "-_ ")):
			return strings.Join(out, "\n")
		case strings.HasPrefix(t, "发件人:"):
			return strings.Join(out, "\n")
		case strings.HasPrefix(t, "from:") && headerFollows(lines[i+1:]):
			return strings.Join(out, "\n")
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// headerFollows reports whether a quoted message's header fields follow a
// "From:" line, so that a sender who writes "From: me" is not cut off.
func headerFollows(lines []string) bool {
	for _, l := range lines[:min(len(lines), 4)] {
		l = strings.TrimSpace(l)
		for _, h := range headerLines {
			if strings.HasPrefix(l, h) {
				return true
			}
		}
	}
	return false
}

// squeeze joins the text into one line so that a phrase wrapped over two
// lines still matches: a run of white space becomes one space, or nothing
// between two Chinese characters, which wrapping separates without meaning
// to.
func squeeze(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var prev rune
	pending := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			pending = b.Len() > 0
			continue
		}
		if pending && !(isHan(prev) && isHan(r)) {
			b.WriteByte(' ')
		}
		pending = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// hit is a keyword found at a byte offset of the text.
type hit struct {
	kw  int
	pos int
}

// order lists the keyword indexes longest term first, so that specific
// phrases take their words before the general words in them.
var order = func() []int {
	idx := make([]int, len(keywords))
	for i := range idx {
		idx[i] = i
	}
	// A gap or a stem makes a term less specific, not longer.
	size := func(i int) int {
		return len(strings.NewReplacer("…", "", "*", "").Replace(keywords[i].term))
	}
	slices.SortStableFunc(idx, func(a, b int) int { return size(b) - size(a) })
	return idx
}()

// match finds the keywords in text, no two covering the same byte, in the
// order they appear.
func match(text string) []hit {
	used := make([]bool, len(text))
	var hits []hit
	for _, i := range order {
		for _, sp := range find(text, keywords[i].term) {
			if slices.Contains(used[sp[0]:sp[1]], true) {
				continue
			}
			for j := sp[0]; j < sp[1]; j++ {
				used[j] = true
			}
			hits = append(hits, hit{i, sp[0]})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.pos - b.pos })
	return hits
}

// find returns the spans of term in text.
func find(text, term string) [][2]int {
	if head, tail, ok := strings.Cut(term, "…"); ok {
		return findGap(text, head, tail)
	}
	stem := strings.HasSuffix(term, "*")
	term = strings.TrimSuffix(term, "*")
	if term == "" {
		return nil
	}
	english := term != "" && term[0] < utf8.RuneSelf
	var spans [][2]int
	for from := 0; from < len(text); {
		i := strings.Index(text[from:], term)
		if i < 0 {
			break
		}
		a, b := from+i, from+i+len(term)
		from = b
		if english && (wordBefore(text, a) || !stem && wordAfter(text, b)) {
			continue
		}
		spans = append(spans, [2]int{a, b})
	}
	return spans
}

// findGap returns the spans from head to tail where tail starts at most
// gapRunes characters after head.
func findGap(text, head, tail string) [][2]int {
	var spans [][2]int
	for _, h := range find(text, head) {
		end := h[1]
		for n := 0; n < gapRunes && end < len(text); n++ {
			_, size := utf8.DecodeRuneInString(text[end:])
			end += size
		}
		window := text[h[1]:min(end+len(tail), len(text))]
		if j := strings.Index(window, tail); j >= 0 {
			spans = append(spans, [2]int{h[0], h[1] + j + len(tail)})
		}
	}
	return spans
}

func wordBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return i > 0 && isWord(r)
}

func wordAfter(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return i < len(text) && isWord(r)
}

// isWord reports whether r continues an English word. Chinese characters
// do not: "请delete我的数据" has the word delete in it.
func isWord(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isHan(r)
}
