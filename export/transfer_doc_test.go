package export_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector/httpapi"
	"github.com/dsrflow/dsrflow/export"
)

// The receiver's recipe in docs/connectors.md is run as written, with
// python3, on a transfer the engine really sent: it accepts it, and refuses
// the same body changed or the wrong secret.
func TestTransferRecipeInDocs(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to check the documented recipe (apt-get install python3)")
	}
	recipe := documentedRecipe(t, "### Transfers to a receiving controller")

	var header string
	var body []byte
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Get("X-DSR-Signature")
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	secret := []byte("shared with the receiving controller")
	if _, err := export.Transfer(context.Background(), srv.Client(), export.Destination{URL: srv.URL, Secret: secret},
		opener(plaintext(2*chunk+7)), "DSR-2025-0042"); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body.zip")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		t.Fatal(err)
	}
	script := recipe + `
import sys
secret, header, path, tamper = sys.argv[1].encode(), sys.argv[2], sys.argv[3], sys.argv[4] == "1"
body = open(path, "rb").read()
if tamper:
    body = body[:-1] + bytes([body[-1] ^ 1])
print(verify_transfer(secret, header, body))
`
	run := func(secret, tamper string) string {
		out, err := exec.Command(python, "-c", script, secret, header, bodyFile, tamper).CombinedOutput()
		if err != nil {
			t.Fatalf("the recipe does not run: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run(string(secret), "0"); got != "True" {
		t.Errorf("the recipe refuses a real transfer: %s", got)
	}
	if got := run(string(secret), "1"); got != "False" {
		t.Errorf("the recipe accepts a changed body: %s", got)
	}
	if got := run("wrong", "0"); got != "False" {
		t.Errorf("the recipe accepts the wrong secret: %s", got)
	}
}

// The request-signature recipe of the same document, run on a signature
// made by the engine's connector client.
func TestRequestSignatureRecipeInDocs(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to check the documented recipe (apt-get install python3)")
	}
	recipe := documentedRecipe(t, "### Signatures")
	secret, body := []byte("connector secret"), []byte(`{"request_id":"r-1","operation":"erase"}`)
	header := httpapi.Sign(secret, time.Now(), body)
	script := recipe + `
import sys
print(verify(sys.argv[1].encode(), sys.argv[2], sys.argv[3].encode()))
`
	for _, c := range []struct{ secret, body, want string }{
		{string(secret), string(body), "True"},
		{string(secret), string(body) + " ", "False"},
		{"wrong", string(body), "False"},
	} {
		out, err := exec.Command(python, "-c", script, c.secret, header, c.body).CombinedOutput()
		if err != nil {
			t.Fatalf("the recipe does not run: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("secret %q, body %q: the recipe says %s, want %s", c.secret, c.body, got, c.want)
		}
	}
}

// documentedRecipe is the first python block after heading in
// docs/connectors.md.
func documentedRecipe(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../docs/connectors.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, heading)
	if i < 0 {
		t.Fatalf("docs/connectors.md has no %q", heading)
	}
	start := strings.Index(doc[i:], "```python\n")
	if start < 0 {
		t.Fatalf("no python recipe under %q", heading)
	}
	code := doc[i+start+len("```python\n"):]
	return code[:strings.Index(code, "```")]
}
