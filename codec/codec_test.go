package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

func key(id string, b byte) Key { return Key{ID: id, Secret: bytes.Repeat([]byte{b}, 32)} }

func mustNew(t *testing.T, keys ...Key) *Codec {
	t.Helper()
	c, err := New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type requester struct {
	Email string `json:"email"`
}

const email = "zhang.wei@example.cn"

func TestSealedPayloadHidesDataAndRoundTrips(t *testing.T) {
	dc := mustNew(t, key("k1", 1)).DataConverter()
	p, err := dc.ToPayload(requester{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte(email)) || bytes.Contains(p.Data, []byte("json")) {
		t.Fatalf("sealed payload shows its content: %q", p.Data)
	}
	if got := string(p.Metadata[MetadataKeyID]); got != "k1" {
		t.Fatalf("key id = %q, want k1", got)
	}
	var back requester
	if err := dc.FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if back.Email != email {
		t.Fatalf("round trip gave %q", back.Email)
	}
}

func TestSameValueSealsDifferently(t *testing.T) {
	dc := mustNew(t, key("k1", 1)).DataConverter()
	a, _ := dc.ToPayload(email)
	b, _ := dc.ToPayload(email)
	if bytes.Equal(a.Data, b.Data) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
}

func TestKeyRotation(t *testing.T) {
	old := mustNew(t, key("2025", 1))
	sealedOld, err := old.Encode([]*commonpb.Payload{plain(email)})
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustNew(t, key("2026", 2), key("2025", 1))
	opened, err := rotated.Decode(sealedOld)
	if err != nil {
		t.Fatalf("old payload unreadable after rotation: %v", err)
	}
	if string(opened[0].Data) != email {
		t.Fatalf("opened %q", opened[0].Data)
	}
	sealedNew, err := rotated.Encode([]*commonpb.Payload{plain(email)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(sealedNew[0].Metadata[MetadataKeyID]); got != "2026" {
		t.Fatalf("new payload sealed with %q, want the first key 2026", got)
	}
	if _, err := old.Decode(sealedNew); err == nil || !strings.Contains(err.Error(), `"2026"`) {
		t.Fatalf("decode without the new key: err = %v, want one naming key 2026", err)
	}
}

func TestTamperedPayloadsFail(t *testing.T) {
	c := mustNew(t, key("a", 1), key("b", 2))
	sealed, err := c.Encode([]*commonpb.Payload{plain(email)})
	if err != nil {
		t.Fatal(err)
	}
	flipped := clone(sealed[0])
	flipped.Data[len(flipped.Data)-1] ^= 1
	relabelled := clone(sealed[0])
	relabelled.Metadata[MetadataKeyID] = []byte("b")
	short := clone(sealed[0])
	short.Data = short.Data[:4]
	for name, p := range map[string]*commonpb.Payload{"flipped bit": flipped, "relabelled key": relabelled, "short": short} {
		if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestUnsealedPayloadsPassThrough(t *testing.T) {
	c := mustNew(t, key("k1", 1))
	old, err := converter.GetDefaultDataConverter().ToPayload(requester{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	var back requester
	if err := c.DataConverter().FromPayload(old, &back); err != nil {
		t.Fatalf("payload from before sealing unreadable: %v", err)
	}
	if back.Email != email {
		t.Fatalf("got %q", back.Email)
	}
}

func TestFailureMessagesSealed(t *testing.T) {
	fc := mustNew(t, key("k1", 1)).FailureConverter()
	f := fc.ErrorToFailure(temporal.NewApplicationError("bounced: "+email, "Bounce"))
	if strings.Contains(f.String(), email) {
		t.Fatalf("failure shows the address in clear: %s", f)
	}
	back := fc.FailureToError(f)
	if !strings.Contains(back.Error(), email) {
		t.Fatalf("failure did not round trip: %v", back)
	}
	var appErr *temporal.ApplicationError
	if !errors.As(back, &appErr) || appErr.Type() != "Bounce" {
		t.Fatalf("error type lost: %v", back)
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Error("no keys accepted")
	}
	if _, err := New([]Key{{ID: "short", Secret: []byte("0123456789abcdef")}}); err == nil || !strings.Contains(err.Error(), "short") {
		t.Errorf("16-byte key: err = %v, want one naming the key", err)
	}
}

func plain(s string) *commonpb.Payload {
	return &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("binary/plain")}, Data: []byte(s)}
}

func clone(p *commonpb.Payload) *commonpb.Payload {
	md := map[string][]byte{}
	for k, v := range p.Metadata {
		md[k] = append([]byte(nil), v...)
	}
	return &commonpb.Payload{Metadata: md, Data: append([]byte(nil), p.Data...)}
}

func TestSealedBlobs(t *testing.T) {
	old := mustNew(t, key("k1", 1))
	scan := []byte("ID card scan of " + email)
	sealed, err := old.Seal(scan)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(email)) {
		t.Fatal("sealed blob shows its content")
	}
	// After rotation the new key seals and the old blob still opens.
	rotated := mustNew(t, key("k2", 2), key("k1", 1))
	if got, err := rotated.Open(sealed); err != nil || !bytes.Equal(got, scan) {
		t.Fatalf("Open after rotation = %q, %v", got, err)
	}
	again, _ := rotated.Seal(scan)
	if !bytes.Contains(again, []byte("\nk2\n")) {
		t.Errorf("rotated codec did not seal with k2: %q", again[:30])
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, blob := range map[string][]byte{"tampered": tampered, "plain": scan,
		"key gone": again[:0:0], "no key id": []byte("dsrflow-sealed-v1\nk1")} {
		if _, err := old.Open(blob); err == nil {
			t.Errorf("%s blob opened", name)
		}
	}
	if _, err := old.Open(again); err == nil || !strings.Contains(err.Error(), "k2") {
		t.Errorf("blob of an unconfigured key: %v", err)
	}
}
