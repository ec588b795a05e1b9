package notice

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/request"
)

var writeDenialDoc = flag.Bool("write-denial-doc", false, "rewrite docs/denial-reasons.md from the notice texts")

const denialDoc = "../docs/denial-reasons.md"

// denialReasonsDoc is docs/denial-reasons.md as the notice texts make it:
// what the requester reads for each reason of the mandatory catalogue.
func denialReasonsDoc() string {
	var b strings.Builder
	b.WriteString("# Denial reasons\n\n")
	b.WriteString("A denial (`POST /v1/requests/{id}/deny`) names one reason of this catalogue and an explanation in\n")
	b.WriteString("staff's own words. The requester's notice states the reason in these words, in their language, followed\n")
	b.WriteString("by the explanation. Generated from `notice/words.go`:\n")
	b.WriteString("`go test ./notice -run TestDenialReasonsDoc -args -write-denial-doc`; the test fails when they differ.\n\n")
	b.WriteString("| reason | en | zh-CN |\n|---|---|---|\n")
	for _, r := range request.DenialReasons {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r, DenialText(request.English, r), DenialText(request.Chinese, r))
	}
	return b.String()
}

func TestDenialReasonsDoc(t *testing.T) {
	want := denialReasonsDoc()
	if *writeDenialDoc {
		if err := os.WriteFile(denialDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(denialDoc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s differs from the notice texts; rewrite it: go test ./notice -run TestDenialReasonsDoc -args -write-denial-doc", denialDoc)
	}
	for _, r := range request.DenialReasons {
		if DenialText(request.English, r) == "" || DenialText(request.Chinese, r) == "" {
			t.Errorf("reason %s has no words in both languages", r)
		}
	}
}
