package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/export"
)

// The download route needs neither the database nor the workflow engine:
// a Server with only the export store and the link signer serves it.
func TestExportDownload(t *testing.T) {
	root := t.TempDir()
	storeKey := bytes.Repeat([]byte{3}, 32)
	exports, err := export.NewDir(root, []export.Key{{ID: "k1", Secret: storeKey}})
	if err != nil {
		t.Fatal(err)
	}
	links := &export.Signer{Key: bytes.Repeat([]byte{4}, 32)}
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	srv := httptest.NewServer((&api.Server{Exports: exports, Links: links, Now: func() time.Time { return now }}).Handler())
	defer srv.Close()

	// More than one sealed chunk, so the body streams.
	zipBytes := append([]byte("PK\x03\x04 李雷的数据 "), bytes.Repeat([]byte("0123456789"), 20000)...)
	id := export.NewID()
	w, err := exports.Create(context.Background(), export.ArchiveKey(id))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(zipBytes)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	link := func(id string, exp time.Time) string { return "/v1/exports/" + id + "?" + links.Sign(id, exp) }
	get := func(t *testing.T, path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	resp, body := get(t, link(id, now.Add(export.LinkLifetime)))
	if resp.StatusCode != 200 || !bytes.Equal(body, zipBytes) {
		t.Fatalf("download: %d, %d bytes, want %d", resp.StatusCode, len(body), len(zipBytes))
	}
	for k, want := range map[string]string{
		"Content-Type":        "application/zip",
		"Content-Disposition": `attachment; filename="dsr-` + id + `.zip"`,
		"Cache-Control":       "no-store",
		"Content-Length":      strconv.Itoa(len(zipBytes)),
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}

	sealed, err := os.ReadFile(filepath.Join(root, "exports", id+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	// Damage in the first chunk is found before answering; further on,
	// the answer is cut short, which the announced length makes plain.
	damagedEarly, damagedLate := export.NewID(), export.NewID()
	for id, at := range map[string]int{damagedEarly: 100, damagedLate: len(sealed) - 100} {
		damaged := append([]byte(nil), sealed...)
		damaged[at] ^= 1
		if err := os.WriteFile(filepath.Join(root, "exports", id+".zip"), damaged, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	late, err := http.Get(srv.URL + link(damagedLate, now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(late.Body)
	late.Body.Close()
	if err == nil || len(got) >= len(zipBytes) {
		t.Errorf("damaged late: %d, read %d bytes without error", late.StatusCode, len(got))
	}

	tests := []struct {
		name   string
		path   string
		status int
	}{
		{"expired", link(id, now.Add(-time.Second)), http.StatusGone},
		{"expires now", link(id, now), http.StatusGone},
		{"no signature", "/v1/exports/" + id, http.StatusForbidden},
		{"another export's link", "/v1/exports/" + export.NewID() + "?" + links.Sign(id, now.Add(time.Hour)), http.StatusForbidden},
		{"forged", "/v1/exports/" + id + "?" + (&export.Signer{Key: bytes.Repeat([]byte{5}, 32)}).Sign(id, now.Add(time.Hour)), http.StatusForbidden},
		{"deleted", link(export.NewID(), now.Add(time.Hour)), http.StatusNotFound},
		{"not an export ID", link("a.b", now.Add(time.Hour)), http.StatusNotFound},
		{"damaged", link(damagedEarly, now.Add(time.Hour)), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.path)
			var p api.Problem
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/problem+json" ||
				json.Unmarshal(body, &p) != nil || p.Status != tt.status {
				t.Fatalf("%d %s %s, want a %d problem", resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.status)
			}
			if strings.Contains(string(body), root) || strings.Contains(string(body), "k1") || bytes.Contains(body, zipBytes[:20]) {
				t.Errorf("the problem tells too much: %s", body)
			}
		})
	}

	// Not configured: 503, whatever the link.
	bare := httptest.NewServer((&api.Server{}).Handler())
	defer bare.Close()
	r, err := http.Get(bare.URL + link(id, now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("without a store: %d", r.StatusCode)
	}
}
