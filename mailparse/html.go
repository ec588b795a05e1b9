package mailparse

import (
	"html"
	"strings"
)

// htmlText turns an HTML body into the text a person reading it sees: tags
// dropped, the contents of script, style and the like dropped, block
// elements and <br> made line breaks, white space collapsed as a browser
// does, entities unescaped. Lines inside <blockquote> start with "> " so
// that quoted mail in an HTML-only reply reads as quoted mail in plain text.
//
// It is a tolerant scanner rather than a parser: mail HTML is rarely valid,
// and all the intake needs is the words in reading order.
func htmlText(s string) string {
	var w textOut
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			w.text(s[i : i+j])
			i += j
			continue
		}
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		if i+1 >= len(s) || !startsTag(s[i+1]) {
			w.text("<")
			i++
			continue
		}
		end := tagEnd(s, i+1)
		if end < 0 {
			break // a tag cut off at the end hides the rest, as in a browser
		}
		name, closing := tagName(s[i+1 : end])
		i = end + 1
		switch name {
		case "script", "style", "title", "template", "noscript", "xml":
			if !closing {
				i = skipElement(s, i, name)
			}
		case "br":
			w.br()
		case "p", "h1", "h2", "h3", "h4", "h5", "h6", "table":
			w.block(2)
		case "blockquote":
			w.block(1)
			if closing {
				w.quote = max(w.quote-1, 0)
			} else {
				w.quote++
			}
		case "pre":
			w.block(1)
			if closing {
				w.pre = max(w.pre-1, 0)
			} else {
				w.pre++
			}
		case "div", "li", "ul", "ol", "tr", "hr", "dl", "dt", "dd", "section", "article",
			"header", "footer", "address", "center", "form", "fieldset", "figure", "main", "nav":
			w.block(1)
		case "td", "th":
			w.space = true
		}
	}
	return strings.TrimSpace(w.b.String())
}

func startsTag(c byte) bool {
	return c == '/' || c == '!' || c == '?' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// tagEnd returns the index of the '>' that ends the tag whose name starts at
// i, skipping '>' in quoted attribute values, or -1.
func tagEnd(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '>':
			return i
		case '=':
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
				j++
			}
			if j < len(s) && (s[j] == '"' || s[j] == '\'') {
				k := strings.IndexByte(s[j+1:], s[j])
				if k < 0 {
					return -1
				}
				i = j + 1 + k
			}
		}
	}
	return -1
}

// tagName returns the lower-case name of the tag in s (what is between '<'
// and '>') and whether it closes an element.
func tagName(s string) (string, bool) {
	closing := strings.HasPrefix(s, "/")
	s = strings.TrimPrefix(s, "/")
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= '0' && s[n] <= '9' || s[n] == ':' || s[n] == '-') {
		n++
	}
	return strings.ToLower(s[:n]), closing
}

// skipElement returns the index just past the end tag of name at or after
// i, or len(s) if there is none.
func skipElement(s string, i int, name string) int {
	for {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			return len(s)
		}
		i += j + 2
		if len(s)-i >= len(name) && strings.EqualFold(s[i:i+len(name)], name) {
			if end := tagEnd(s, i); end >= 0 {
				return end + 1
			}
			return len(s)
		}
	}
}

// textOut writes text with the line breaks block elements ask for, at most
// one blank line in a row and none at the start.
type textOut struct {
	b       strings.Builder
	quote   int  // depth of <blockquote>
	pre     int  // depth of <pre>
	breaks  int  // line breaks asked for and not written yet
	space   bool // a space is due before the next word on this line
	inLine  bool // the current line has text
	started bool
}

func (w *textOut) br() {
	w.breaks = min(w.breaks+1, 2)
	w.space = false
}

func (w *textOut) block(n int) {
	w.breaks = max(w.breaks, n)
	w.space = false
}

func (w *textOut) text(raw string) {
	s := strings.ReplaceAll(html.UnescapeString(raw), "\u00a0", " ")
	if w.pre > 0 {
		for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if i > 0 {
				w.br()
			}
			if line != "" {
				w.write(line)
			}
		}
		return
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		if s != "" {
			w.space = true
		}
		return
	}
	if isSpace(s[0]) {
		w.space = true
	}
	w.write(strings.Join(words, " "))
	if isSpace(s[len(s)-1]) {
		w.space = true
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (w *textOut) write(s string) {
	if w.started && w.breaks > 0 {
		w.b.WriteString(strings.Repeat("\n", w.breaks))
		w.inLine = false
	} else if w.space && w.inLine {
		w.b.WriteByte(' ')
	}
	if !w.inLine {
		w.b.WriteString(strings.Repeat("> ", w.quote))
	}
	w.b.WriteString(s)
	w.started, w.inLine, w.breaks, w.space = true, true, 0, false
}
