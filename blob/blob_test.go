package blob_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/blob"
	"github.com/dsrflow/dsrflow/codec"
)

func TestDir(t *testing.T) {
	c, err := codec.New([]codec.Key{{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	d := &blob.Dir{Path: t.TempDir(), Sealer: c}
	scan := []byte("passport of Li Lei, li.lei@example.test")
	ref, err := d.Put(t.Context(), scan)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := d.Put(t.Context(), scan); err != nil || again != ref {
		t.Errorf("second Put = %q, %v; want %q", again, err, ref)
	}
	got, err := d.Get(t.Context(), ref)
	if err != nil || !bytes.Equal(got, scan) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Sealed on disk: the content is not there in clear.
	var files int
	filepath.WalkDir(d.Path, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files++
			raw, _ := os.ReadFile(path)
			if bytes.Contains(raw, []byte("li.lei")) {
				t.Errorf("%s holds the blob in clear", path)
			}
			// A file changed on disk is refused, not returned.
			os.WriteFile(path, append(raw[:len(raw)-1], raw[len(raw)-1]^1), 0o600)
		}
		return nil
	})
	if files != 1 {
		t.Errorf("%d files, want 1", files)
	}
	if _, err := d.Get(t.Context(), ref); err == nil {
		t.Error("a tampered blob was returned")
	}
	for _, bad := range []string{"", "sha256:../../etc/passwd", "md5:abc", "sha256:" + strings.Repeat("0", 64)} {
		if _, err := d.Get(t.Context(), bad); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	for range 2 { // deleting twice is no error
		if err := d.Delete(t.Context(), ref); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Get(t.Context(), ref); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
	if err := d.Delete(t.Context(), "sha256:../x"); err == nil {
		t.Error("Delete took a path")
	}
}
