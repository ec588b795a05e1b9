package export

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Key is one AES-256 key and the ID it is known by (config.Key, with the
// same rotation rule: the first key seals, every key opens).
type Key struct {
	ID     string
	Secret []byte
}

// A sealed stream is a header, then chunks:
//
//	"DSRX" | version 1 | len(key ID) | key ID | salt (32) | nonce prefix (4)
//	AES-256-GCM(chunk 0) | AES-256-GCM(chunk 1) | ...
//
// Every chunk holds sealChunk bytes of plaintext but the last, which holds
// fewer or as many, possibly none. Each file is sealed with its own key,
// derived from the named key and the salt by HKDF, so the counters of two
// files can never share a nonce under one key. A chunk's nonce is the prefix
// and the chunk's number; its additional data is the header and whether it
// is the last chunk. Reordered, dropped, cut-off or appended chunks
// therefore fail to open, and so does a header naming another key.
const (
	sealMagic   = "DSRX"
	sealVersion = 1
	sealChunk   = 64 << 10
	saltSize    = 32
	prefixSize  = 4
	tagSize     = 16
	hkdfInfo    = "dsrflow export v1"
)

// ErrCorrupt is returned when a sealed file fails authentication: it was
// altered, cut short, or is not a sealed export at all.
var ErrCorrupt = errors.New("sealed export corrupt or truncated")

// sealer holds the keys of a store.
type sealer struct {
	sealWith Key
	keys     map[string]Key
}

func newSealer(keys []Key) (*sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("no encryption key")
	}
	s := &sealer{sealWith: keys[0], keys: make(map[string]Key, len(keys))}
	for _, k := range keys {
		switch {
		case k.ID == "" || len(k.ID) > 255:
			return nil, fmt.Errorf("key ID %q: want 1 to 255 bytes", k.ID)
		case len(k.Secret) != 32:
			return nil, fmt.Errorf("key %q: %d bytes, want 32", k.ID, len(k.Secret))
		}
		if _, dup := s.keys[k.ID]; dup {
			return nil, fmt.Errorf("key %q: configured twice", k.ID)
		}
		s.keys[k.ID] = k
	}
	return s, nil
}

// fileAEAD derives the key of one file.
func fileAEAD(k Key, salt []byte) (cipher.AEAD, error) {
	fk, err := hkdf.Key(sha256.New, k.Secret, salt, hkdfInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("derive file key: %w", err)
	}
	block, err := aes.NewCipher(fk)
	if err != nil {
		return nil, fmt.Errorf("derive file key: %w", err)
	}
	return cipher.NewGCM(block)
}

// sealWriter encrypts what is written to it onto w, a chunk at a time.
type sealWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	prefix []byte
	n      uint64
	buf    []byte // plaintext of the chunk being filled
	out    []byte
	err    error
}

func (s *sealer) newWriter(w io.Writer) (*sealWriter, error) {
	k := s.sealWith
	header := make([]byte, 0, 6+len(k.ID)+saltSize+prefixSize)
	header = append(header, sealMagic...)
	header = append(header, sealVersion, byte(len(k.ID)))
	header = append(header, k.ID...)
	random := make([]byte, saltSize+prefixSize)
	if _, err := rand.Read(random); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	header = append(header, random...)
	aead, err := fileAEAD(k, random[:saltSize])
	if err != nil {
		return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
	}
	if _, err := w.Write(header); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &sealWriter{w: w, aead: aead, header: header, prefix: random[saltSize:],
		buf: make([]byte, 0, sealChunk), out: make([]byte, 0, sealChunk+tagSize)}, nil
}

func (sw *sealWriter) Write(p []byte) (int, error) {
	if sw.err != nil {
		return 0, sw.err
	}
	written := 0
	for len(p) > 0 {
		// A full chunk is sealed only once more data comes: until Close,
		// it may be the last.
		if len(sw.buf) == sealChunk {
			if err := sw.seal(false); err != nil {
				return written, err
			}
		}
		n := copy(sw.buf[len(sw.buf):sealChunk], p)
		sw.buf = sw.buf[:len(sw.buf)+n]
		p = p[n:]
		written += n
	}
	return written, nil
}

// finish seals the last chunk.
func (sw *sealWriter) finish() error {
	if sw.err != nil {
		return sw.err
	}
	return sw.seal(true)
}

func (sw *sealWriter) seal(last bool) error {
	sw.out = sw.aead.Seal(sw.out[:0], chunkNonce(sw.prefix, sw.n), sw.buf, chunkAD(sw.header, last))
	sw.n++
	sw.buf = sw.buf[:0]
	if _, err := sw.w.Write(sw.out); err != nil {
		sw.err = fmt.Errorf("seal: %w", err)
		return sw.err
	}
	return nil
}

func chunkNonce(prefix []byte, n uint64) []byte {
	nonce := make([]byte, 12)
	copy(nonce, prefix)
	binary.BigEndian.PutUint64(nonce[prefixSize:], n)
	return nonce
}

func chunkAD(header []byte, last bool) []byte {
	ad := make([]byte, len(header)+1)
	copy(ad, header)
	if last {
		ad[len(header)] = 1
	}
	return ad
}

// openReader decrypts a sealed stream, a chunk at a time.
type openReader struct {
	r      *bufio.Reader
	aead   cipher.AEAD
	header []byte
	prefix []byte
	n      uint64
	in     []byte
	plain  []byte // decrypted and not yet read
	done   bool
	err    error
}

// newReader reads the header and finds its key; chunks are opened as they
// are read.
func (s *sealer) newReader(r io.Reader) (*openReader, error) {
	br := bufio.NewReaderSize(r, sealChunk+tagSize+1)
	fixed := make([]byte, 6)
	if _, err := io.ReadFull(br, fixed); err != nil || string(fixed[:4]) != sealMagic {
		return nil, fmt.Errorf("open sealed export: no header: %w", ErrCorrupt)
	}
	if fixed[4] != sealVersion {
		return nil, fmt.Errorf("open sealed export: version %d, want %d", fixed[4], sealVersion)
	}
	rest := make([]byte, int(fixed[5])+saltSize+prefixSize)
	if _, err := io.ReadFull(br, rest); err != nil {
		return nil, fmt.Errorf("open sealed export: short header: %w", ErrCorrupt)
	}
	id := string(rest[:fixed[5]])
	k, ok := s.keys[id]
	if !ok {
		return nil, fmt.Errorf("open sealed export: sealed with key %q, which is not configured", id)
	}
	salt := rest[fixed[5] : int(fixed[5])+saltSize]
	aead, err := fileAEAD(k, salt)
	if err != nil {
		return nil, fmt.Errorf("open sealed export: key %q: %w", id, err)
	}
	return &openReader{r: br, aead: aead, header: append(fixed, rest...), prefix: rest[int(fixed[5])+saltSize:],
		in: make([]byte, sealChunk+tagSize)}, nil
}

func (or *openReader) Read(p []byte) (int, error) {
	for len(or.plain) == 0 {
		if or.err != nil {
			return 0, or.err
		}
		if or.done {
			return 0, io.EOF
		}
		or.next()
	}
	n := copy(p, or.plain)
	or.plain = or.plain[n:]
	return n, nil
}

// next opens the next chunk; it is the last when nothing follows it.
func (or *openReader) next() {
	n, err := io.ReadFull(or.r, or.in)
	last := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		last = true
	case err != nil:
		or.err = fmt.Errorf("open sealed export: %w", err)
		return
	default:
		if _, perr := or.r.Peek(1); perr == io.EOF {
			last = true
		} else if perr != nil {
			or.err = fmt.Errorf("open sealed export: %w", perr)
			return
		}
	}
	plain, oerr := or.aead.Open(or.in[:0], chunkNonce(or.prefix, or.n), or.in[:n], chunkAD(or.header, last))
	if oerr != nil {
		or.err = fmt.Errorf("open sealed export: chunk %d: %w", or.n, ErrCorrupt)
		return
	}
	or.n++
	or.plain = plain
	or.done = last
}

// plainSize is the size of what a sealed file of size sealed holds.
func plainSize(sealed int64, headerLen int) (int64, error) {
	body := sealed - int64(headerLen)
	if body < tagSize {
		return 0, ErrCorrupt
	}
	chunks := (body + sealChunk + tagSize - 1) / (sealChunk + tagSize)
	return body - chunks*tagSize, nil
}
