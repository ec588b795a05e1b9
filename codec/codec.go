// Package codec seals Temporal payloads with AES-256-GCM so that personal
// data in workflow inputs, results, queries, updates and failure messages is
// never stored in clear in Temporal history.
//
// Each sealed payload names the key that sealed it, so keys can rotate: new
// payloads use the first key, older ones stay readable with any key still
// configured. Payloads written before sealing was switched on pass through
// unchanged.
package codec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of a sealed payload.
const (
	MetadataEncoding = "binary/encrypted"
	MetadataKeyID    = "encryption-key-id"
)

// Key is one AES-256 key and the ID it is known by.
type Key struct {
	ID     string
	Secret []byte
}

// Codec is a converter.PayloadCodec that seals with the first of its keys.
type Codec struct {
	sealWith string
	aeads    map[string]cipher.AEAD
}

// New builds a codec from keys, the first of which seals new payloads.
func New(keys []Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("no encryption key")
	}
	c := &Codec{sealWith: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("key %q: %d bytes, want 32", k.ID, len(k.Secret))
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
	}
	return c, nil
}

// Encode seals each payload whole: data and metadata, so not even the
// encoding of the original leaks.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("seal payload: %w", err)
		}
		sealed, err := c.seal(plain)
		if err != nil {
			return nil, fmt.Errorf("seal payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncoding),
				MetadataKeyID:              []byte(c.sealWith),
			},
			Data: sealed,
		}
	}
	return out, nil
}

// Decode opens sealed payloads and passes others through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		plain, err := c.open(id, p.GetData())
		if err != nil {
			return nil, fmt.Errorf("open payload: %w", err)
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return nil, fmt.Errorf("open payload: sealed with key %q: %w", id, err)
		}
		out[i] = &orig
	}
	return out, nil
}

// Seal seals a blob (an e-mail attachment, say) under the first key. The
// result names the key, so Open finds it after keys have rotated.
func (c *Codec) Seal(plain []byte) ([]byte, error) {
	sealed, err := c.seal(plain)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return append([]byte(blobMagic+c.sealWith+"\n"), sealed...), nil
}

// Open opens what Seal sealed.
func (c *Codec) Open(blob []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(blob, []byte(blobMagic))
	if !ok {
		return nil, errors.New("open: not a sealed blob")
	}
	id, data, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return nil, errors.New("open: sealed blob without a key ID")
	}
	plain, err := c.open(string(id), data)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return plain, nil
}

const blobMagic = "dsrflow-sealed-v1\n"

// seal encrypts plain under the first key, nonce first. The key ID is bound
// as additional data: a payload relabelled with another key's ID fails to
// open.
func (c *Codec) seal(plain []byte) ([]byte, error) {
	aead := c.aeads[c.sealWith]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, []byte(c.sealWith)), nil
}

func (c *Codec) open(id string, data []byte) ([]byte, error) {
	aead, ok := c.aeads[id]
	if !ok {
		return nil, fmt.Errorf("sealed with key %q, which is not configured (encryption.keys)", id)
	}
	if len(data) < aead.NonceSize() {
		return nil, fmt.Errorf("sealed with key %q: too short", id)
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("sealed with key %q: %w", id, err)
	}
	return plain, nil
}

// DataConverter is the default converter with payloads sealed by c.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter also seals failure messages and stack traces, which can
// quote personal data (an address that bounced, say).
func (c *Codec) FailureConverter() converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          c.DataConverter(),
		EncodeCommonAttributes: true,
	})
}
