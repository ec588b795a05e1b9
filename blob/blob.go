// Package blob keeps files the engine receives, such as e-mail attachments
// (ID scans, signed forms), outside the workflow and the database: sealed,
// in a directory, addressed by the hash of their content. An S3-compatible
// store can implement Store the same way.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Store keeps blobs.
type Store interface {
	// Put stores data and returns its reference; the same data gives the
	// same reference and is stored once.
	Put(ctx context.Context, data []byte) (ref string, err error)
	// Get returns the data stored under ref.
	Get(ctx context.Context, ref string) ([]byte, error)
	// Delete removes the data stored under ref; an unknown ref is no error.
	Delete(ctx context.Context, ref string) error
}

// Sealer encrypts blobs at rest; *codec.Codec is one.
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// ErrNotFound is returned by Get for an unknown reference.
var ErrNotFound = errors.New("blob not found")

// Dir is a Store in a local directory.
type Dir struct {
	Path   string
	Sealer Sealer
}

const refPrefix = "sha256:"

// Put implements Store. The file appears whole or not at all: it is written
// to a temporary name and renamed.
func (d *Dir) Put(_ context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	ref := refPrefix + hex.EncodeToString(sum[:])
	path := d.path(ref)
	if _, err := os.Stat(path); err == nil {
		return ref, nil
	}
	sealed, err := d.Sealer.Seal(data)
	if err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(sealed); err != nil {
		tmp.Close()
		return "", fmt.Errorf("put blob: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("put blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	return ref, nil
}

// Get implements Store, and checks the content against its reference.
func (d *Dir) Get(_ context.Context, ref string) ([]byte, error) {
	if !validRef(ref) {
		return nil, fmt.Errorf("get blob %q: %w", ref, ErrNotFound)
	}
	sealed, err := os.ReadFile(d.path(ref))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("get blob %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", ref, err)
	}
	data, err := d.Sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", ref, err)
	}
	if sum := sha256.Sum256(data); refPrefix+hex.EncodeToString(sum[:]) != ref {
		return nil, fmt.Errorf("get blob %s: content does not match its hash", ref)
	}
	return data, nil
}

// Delete implements Store.
func (d *Dir) Delete(_ context.Context, ref string) error {
	if !validRef(ref) {
		return fmt.Errorf("delete blob %q: not a blob reference", ref)
	}
	if err := os.Remove(d.path(ref)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", ref, err)
	}
	return nil
}

// path spreads blobs over 256 directories so none grows huge.
func (d *Dir) path(ref string) string {
	h := strings.TrimPrefix(ref, refPrefix)
	return filepath.Join(d.Path, h[:2], h)
}

func validRef(ref string) bool {
	h, ok := strings.CutPrefix(ref, refPrefix)
	if !ok || len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}
