package export_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/export"
)

var (
	keyA = export.Key{ID: "a", Secret: bytes.Repeat([]byte{1}, 32)}
	keyB = export.Key{ID: "b", Secret: bytes.Repeat([]byte{2}, 32)}
)

const chunk = 64 << 10

func newDir(t testing.TB, path string, keys ...export.Key) *export.Dir {
	t.Helper()
	d, err := export.NewDir(path, keys)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func put(t *testing.T, s export.Store, key string, data []byte) {
	t.Helper()
	w, err := s.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func get(s export.Store, key string) ([]byte, error) {
	r, err := s.Open(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// plaintext is random bytes with a marker at each chunk's start, to look
// for on disk.
func plaintext(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := 0; i+16 <= n; i += chunk {
		copy(b[i:], "PLAINTEXT-MARKER")
	}
	return b
}

func TestDirRoundTrip(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	d := newDir(t, root, keyA)
	for _, n := range []int{0, 1, 20, chunk - 1, chunk, chunk + 1, 3 * chunk, 3*chunk + 777} {
		data := plaintext(n)
		key := "parts/case-1/crm.part"
		put(t, d, key, data)
		got, err := get(d, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back %d bytes, %v", n, len(got), err)
		}
		size, err := d.Size(context.Background(), key)
		if err != nil || size != int64(n) {
			t.Errorf("%d bytes: Size %d, %v", n, size, err)
		}
		onDisk, err := os.ReadFile(filepath.Join(root, "parts", "case-1", "crm.part"))
		if err != nil {
			t.Fatal(err)
		}
		if n >= 16 && bytes.Contains(onDisk, []byte("PLAINTEXT-MARKER")) {
			t.Fatalf("%d bytes: plaintext on disk", n)
		}
	}
	// Text too, the way a part holds it.
	put(t, d, "t", []byte(`{"name":"李雷","email":"li@example.test"}`))
	onDisk, _ := os.ReadFile(filepath.Join(root, "t"))
	if bytes.Contains(onDisk, []byte("李雷")) || bytes.Contains(onDisk, []byte("example.test")) {
		t.Fatal("plaintext on disk")
	}
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if e.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode().Perm(), want)
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDirVisibleOnlyAfterClose(t *testing.T) {
	d := newDir(t, t.TempDir(), keyA)
	put(t, d, "k", []byte("old"))
	w, err := d.Create(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plaintext(2 * chunk)); err != nil {
		t.Fatal(err)
	}
	if got, err := get(d, "k"); err != nil || string(got) != "old" {
		t.Fatalf("before Close: %q %v, want the old content", got, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := get(d, "k"); err != nil || len(got) != 2*chunk {
		t.Fatalf("after Close: %d bytes %v", len(got), err)
	}

	// Abandoned: ctx cancelled before Close.
	ctx, cancel := context.WithCancel(context.Background())
	w, err = d.Create(ctx, "new")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("half"))
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close after cancel: %v", err)
	}
	if _, err := get(d, "new"); !errors.Is(err, export.ErrNotFound) {
		t.Fatalf("abandoned write visible: %v", err)
	}
	if _, err := d.Size(context.Background(), "new"); !errors.Is(err, export.ErrNotFound) {
		t.Fatalf("Size of abandoned write: %v", err)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("write after Close accepted")
	}
}

func TestDirKeys(t *testing.T) {
	d := newDir(t, t.TempDir(), keyA)
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../b", "a//b", "a/", "./a", ".tmp-123", "a/.hidden",
		`a\b`, "c:x", "a\x00b", " a", strings.Repeat("x", 513)} {
		if _, err := d.Create(context.Background(), bad); err == nil {
			t.Errorf("Create %q accepted", bad)
		}
		if _, err := d.Open(context.Background(), bad); err == nil || errors.Is(err, export.ErrNotFound) {
			t.Errorf("Open %q: %v", bad, err)
		}
		if err := d.Delete(context.Background(), bad); err == nil {
			t.Errorf("Delete %q accepted", bad)
		}
	}
	for _, good := range []string{"exports/0123abcd.zip", "parts/DSR-1/crm.part", "x"} {
		if !export.ValidKey(good) {
			t.Errorf("%q refused", good)
		}
	}
	put(t, d, "exports/x.zip", []byte("zip"))
	if err := d.Delete(context.Background(), "exports/x.zip"); err != nil {
		t.Fatal(err)
	}
	if _, err := get(d, "exports/x.zip"); !errors.Is(err, export.ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
	if err := d.Delete(context.Background(), "exports/x.zip"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

func TestNewDirRefusesBadKeys(t *testing.T) {
	for name, keys := range map[string][]export.Key{
		"none":      nil,
		"short":     {{ID: "a", Secret: []byte("short")}},
		"no ID":     {{Secret: keyA.Secret}},
		"duplicate": {keyA, {ID: "a", Secret: keyB.Secret}},
	} {
		if _, err := export.NewDir(t.TempDir(), keys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Any change to a sealed file is caught: flipped bits anywhere, chunks cut
// off at a boundary or mid-way, swapped, or appended.
func TestDirTamper(t *testing.T) {
	root := t.TempDir()
	d := newDir(t, root, keyA)
	data := plaintext(3*chunk + 100)
	put(t, d, "k", data)
	file := filepath.Join(root, "k")
	sealed, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	header := len(sealed) - (3*chunk + 100 + 4*16)
	ct := chunk + 16
	swapped := append([]byte(nil), sealed...)
	copy(swapped[header:], sealed[header+ct:header+2*ct])
	copy(swapped[header+ct:], sealed[header:header+ct])
	cases := map[string][]byte{
		"empty":             {},
		"header only":       sealed[:header],
		"cut at a chunk":    sealed[:header+2*ct],
		"cut at two chunks": sealed[:header+3*ct],
		"cut mid-chunk":     sealed[:header+ct+100],
		"last byte cut":     sealed[:len(sealed)-1],
		"appended":          append(append([]byte(nil), sealed...), sealed[header:header+ct]...),
		"chunks swapped":    swapped,
	}
	for _, at := range []int{0, 4, 5, 6, header - 1, header, header + 1, header + ct - 1, header + ct + 5, len(sealed) - 1} {
		flipped := append([]byte(nil), sealed...)
		flipped[at] ^= 0x01
		cases[fmt.Sprintf("bit flipped at %d", at)] = flipped
	}
	for name, b := range cases {
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := get(d, "k")
		if err == nil {
			t.Errorf("%s: read %d bytes without error", name, len(got))
		}
	}
	if err := os.WriteFile(file, sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := get(d, "k"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("untouched copy: %v", err)
	}
}

// Files sealed with an old key stay readable while that key is configured.
func TestDirRotation(t *testing.T) {
	root := t.TempDir()
	old := newDir(t, root, keyA)
	put(t, old, "old", []byte("sealed with a"))

	rotated := newDir(t, root, keyB, keyA)
	if got, err := get(rotated, "old"); err != nil || string(got) != "sealed with a" {
		t.Fatalf("old file after rotation: %q %v", got, err)
	}
	put(t, rotated, "new", []byte("sealed with b"))
	if _, err := get(old, "new"); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Fatalf("a store without key b opened a file sealed with it: %v", err)
	}
	retired := newDir(t, root, keyB)
	if _, err := get(retired, "old"); err == nil {
		t.Fatal("opened a file whose key was retired")
	}
	// A header relabelled with the other key's ID does not open either.
	sealed, _ := os.ReadFile(filepath.Join(root, "old"))
	relabelled := bytes.Replace(sealed, []byte("DSRX\x01\x01a"), []byte("DSRX\x01\x01b"), 1)
	if bytes.Equal(relabelled, sealed) {
		t.Fatal("header not as expected")
	}
	_ = os.WriteFile(filepath.Join(root, "old"), relabelled, 0o600)
	if _, err := get(rotated, "old"); err == nil {
		t.Fatal("relabelled file opened")
	}
}
