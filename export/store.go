package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Store keeps parts and packages between the activities that write and
// read them, which may run on different workers: all must share the store.
//
// Dir is the local (or network-mounted) implementation. An S3-compatible
// object store fills the same interface: Create streams a multipart upload
// that is completed on Close and aborted when ctx is done, so the object
// appears whole or not at all; Open is a GET, Size a HEAD, Delete a DELETE.
// It must seal the content itself (or use server-side encryption with a
// customer key) and answer ErrNotFound for a missing object.
type Store interface {
	// Create starts writing key. What is written becomes visible, replacing
	// any earlier content, only when Close succeeds. To abandon a write
	// (the data source failed), cancel ctx and Close: nothing is stored.
	Create(ctx context.Context, key string) (io.WriteCloser, error)
	// Open reads key; ErrNotFound when it does not exist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Size is the size of what Open reads.
	Size(ctx context.Context, key string) (int64, error)
	// Delete removes key; a missing key is no error.
	Delete(ctx context.Context, key string) error
}

// ErrNotFound is returned for a key the store does not hold.
var ErrNotFound = errors.New("export not found")

// ValidKey reports whether key is a store key: a relative, clean,
// slash-separated path whose parts start with neither a dot nor a space
// (which also keeps it clear of Dir's temporary files).
func ValidKey(key string) bool {
	if key == "" || len(key) > 512 || path.Clean(key) != key || strings.HasPrefix(key, "/") {
		return false
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' || r == ':' {
			return false
		}
	}
	for part := range strings.SplitSeq(key, "/") {
		if part == "" || part[0] == '.' || part[0] == ' ' {
			return false
		}
	}
	return true
}

// OpenerFor opens key in s each time it is called, for Package.
func OpenerFor(ctx context.Context, s Store, key string) Opener {
	return func() (io.ReadCloser, error) { return s.Open(ctx, key) }
}

// Dir is a Store in a local directory, sealed at rest with AES-256-GCM
// (see seal.go for the format). Files are 0600 and directories 0700: they
// hold the personal data of the subjects.
type Dir struct {
	path   string
	sealer *sealer
}

// NewDir opens the store at path, creating it if needed. The first key
// seals new files; every key opens, so keys can rotate.
func NewDir(path string, keys []Key) (*Dir, error) {
	s, err := newSealer(keys)
	if err != nil {
		return nil, fmt.Errorf("export store %s: %w", path, err)
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("export store: %w", err)
	}
	return &Dir{path: path, sealer: s}, nil
}

func (d *Dir) file(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("export store: invalid key %q", key)
	}
	return filepath.Join(d.path, filepath.FromSlash(key)), nil
}

// Create implements Store.
func (d *Dir) Create(ctx context.Context, key string) (io.WriteCloser, error) {
	name, err := d.file(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return nil, fmt.Errorf("create export %s: %w", key, err)
	}
	// The temporary file sits next to its final name, so the rename is
	// atomic even when workers share the directory over the network.
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create export %s: %w", key, err)
	}
	sw, err := d.sealer.newWriter(tmp)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("create export %s: %w", key, err)
	}
	return &dirWriter{ctx: ctx, key: key, name: name, tmp: tmp, sw: sw}, nil
}

type dirWriter struct {
	ctx  context.Context
	key  string
	name string
	tmp  *os.File
	sw   *sealWriter
	once sync.Once
	err  error
}

func (w *dirWriter) Write(p []byte) (int, error) {
	if w.tmp == nil {
		return 0, fmt.Errorf("write export %s: closed", w.key)
	}
	n, err := w.sw.Write(p)
	if err != nil {
		return n, fmt.Errorf("write export %s: %w", w.key, err)
	}
	return n, nil
}

// Close publishes the file, unless a write failed or ctx is done: then it
// removes it and says why.
func (w *dirWriter) Close() error {
	w.once.Do(func() {
		w.err = w.publish()
		if w.err != nil {
			w.tmp.Close()
			os.Remove(w.tmp.Name())
		}
		w.tmp = nil
	})
	return w.err
}

func (w *dirWriter) publish() error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("create export %s: abandoned: %w", w.key, err)
	}
	if err := w.sw.finish(); err != nil {
		return fmt.Errorf("create export %s: %w", w.key, err)
	}
	if err := w.tmp.Sync(); err != nil {
		return fmt.Errorf("create export %s: %w", w.key, err)
	}
	if err := w.tmp.Close(); err != nil {
		return fmt.Errorf("create export %s: %w", w.key, err)
	}
	if err := os.Rename(w.tmp.Name(), w.name); err != nil {
		return fmt.Errorf("create export %s: %w", w.key, err)
	}
	// The rename itself is durable only once the directory is synced; a
	// failure here leaves the file readable, so it is not worth failing on.
	if dir, err := os.Open(filepath.Dir(w.name)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return nil
}

// Open implements Store. The header is read at once, so an unknown key
// fails here; a damaged chunk fails the Read that reaches it.
func (d *Dir) Open(_ context.Context, key string) (io.ReadCloser, error) {
	name, err := d.file(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open export %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open export %s: %w", key, err)
	}
	or, err := d.sealer.newReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open export %s: %w", key, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{or, f}, nil
}

// Size implements Store: the plaintext size, worked out from the sealed
// file's size and its header.
func (d *Dir) Size(_ context.Context, key string) (int64, error) {
	name, err := d.file(key)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("export size %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("export size %s: %w", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("export size %s: %w", key, err)
	}
	fixed := make([]byte, 6)
	if _, err := io.ReadFull(f, fixed); err != nil || string(fixed[:4]) != sealMagic {
		return 0, fmt.Errorf("export size %s: %w", key, ErrCorrupt)
	}
	n, err := plainSize(st.Size(), 6+int(fixed[5])+saltSize+prefixSize)
	if err != nil {
		return 0, fmt.Errorf("export size %s: %w", key, err)
	}
	return n, nil
}

// Delete implements Store.
func (d *Dir) Delete(_ context.Context, key string) error {
	name, err := d.file(key)
	if err != nil {
		return err
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete export %s: %w", key, err)
	}
	return nil
}
