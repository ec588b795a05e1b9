package export_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/export"
)

// receiver is a receiving controller that checks what a sender must do:
// it recomputes the signature from the body and its shared secret.
func receiver(t *testing.T, secret []byte, got *[]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		*got = body
		fail := func(why string) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, why)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/zip" ||
			r.Header.Get("Idempotency-Key") != "DSR-2025-0042" || r.ContentLength != int64(len(body)) {
			fail("bad request")
			return
		}
		var ts, v1 string
		for part := range strings.SplitSeq(r.Header.Get("X-DSR-Signature"), ",") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				v1 = v
			}
		}
		unix, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(unix, 0)).Abs() > 5*time.Minute {
			fail("stale")
			return
		}
		sum := sha256.Sum256(body)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(ts + "." + hex.EncodeToString(sum[:])))
		got, _ := hex.DecodeString(v1)
		if !hmac.Equal(got, m.Sum(nil)) {
			fail("bad signature")
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "received "+strings.Repeat("x", 10000))
	}
}

func TestTransfer(t *testing.T) {
	secret := []byte("shared with the receiving controller")
	pkg := plaintext(3*chunk + 5)
	var got []byte
	srv := httptest.NewTLSServer(receiver(t, secret, &got))
	defer srv.Close()

	res, err := export.Transfer(context.Background(), srv.Client(), export.Destination{URL: srv.URL + "/dsr/in", Secret: secret},
		opener(pkg), "DSR-2025-0042")
	if err != nil {
		t.Fatalf("%v: %d %.100s", err, res.Status, res.Body)
	}
	sum := sha256.Sum256(pkg)
	if res.Status != http.StatusAccepted || len(res.Body) != export.MaxAnswer || !strings.HasPrefix(string(res.Body), "received ") ||
		res.Bytes != int64(len(pkg)) || res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("result: %d %d bytes of answer, %d sent, %s", res.Status, len(res.Body), res.Bytes, res.SHA256)
	}
	if string(got) != string(pkg) {
		t.Error("the receiver got other bytes")
	}

	// The wrong secret: the receiver refuses, and Transfer says so.
	res, err = export.Transfer(context.Background(), srv.Client(), export.Destination{URL: srv.URL, Secret: []byte("wrong")},
		opener(pkg), "DSR-2025-0042")
	if err == nil || res.Status != http.StatusUnauthorized || string(res.Body) != "bad signature" {
		t.Errorf("wrong secret: %v %d %q", err, res.Status, res.Body)
	}
}

func TestTransferRefusesHTTP(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	secret := []byte("s")
	if _, err := export.Transfer(context.Background(), srv.Client(), export.Destination{URL: srv.URL, Secret: secret},
		opener([]byte("zip")), "R"); err == nil || calls.Load() != 0 {
		t.Fatalf("http URL: %v, %d calls", err, calls.Load())
	}
	for _, u := range []string{"ftp://x/y", "https:///nohost", "::"} {
		if _, err := export.Transfer(context.Background(), nil, export.Destination{URL: u, Secret: secret, AllowHTTP: true},
			opener([]byte("zip")), "R"); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := export.Transfer(context.Background(), srv.Client(), export.Destination{URL: srv.URL, Secret: secret, AllowHTTP: true},
		opener([]byte("zip")), "R"); err != nil || calls.Load() != 1 {
		t.Fatalf("with AllowHTTP: %v, %d calls", err, calls.Load())
	}
}

// A redirect is not followed: the package goes where it was configured to.
func TestTransferNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res, err := export.Transfer(context.Background(), srv.Client(), export.Destination{URL: srv.URL, Secret: []byte("s"), AllowHTTP: true},
		opener([]byte("zip")), "R")
	if err == nil || res.Status != http.StatusTemporaryRedirect || elsewhere.Load() != 0 {
		t.Fatalf("%v %d, %d calls elsewhere", err, res.Status, elsewhere.Load())
	}
}
