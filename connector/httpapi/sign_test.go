package httpapi_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector/httpapi"
)

const vectorKey = "test-secret-0123456789"

// Vectors computed with openssl, independently of this package:
// printf '%s' '1700000000.{"request_id":"r1"}' | openssl dgst -sha256 -hmac test-secret-0123456789
func TestSignKnownVectors(t *testing.T) {
	at := time.Unix(1700000000, 0)
	for body, want := range map[string]string{
		`{"request_id":"r1"}`: "t=1700000000,v1=386c26e49064a6b77c32c4eeada0e4fdd0025172e45cab71c350a50387446e62",
		``:                    "t=1700000000,v1=76f09fb28067a0b07f97cd14755cb648d9a0a760987f0e11a0c8924778de5071",
	} {
		if got := httpapi.Sign([]byte(vectorKey), at, []byte(body)); got != want {
			t.Errorf("Sign(%q) = %s, want %s", body, got, want)
		}
	}
}

func TestVerify(t *testing.T) {
	key := []byte(vectorKey)
	at := time.Unix(1700000000, 0)
	body := []byte(`{"request_id":"r1"}`)
	good := "t=1700000000,v1=386c26e49064a6b77c32c4eeada0e4fdd0025172e45cab71c350a50387446e62"
	tests := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error // nil: accepted; errAny: some error
	}{
		{"good", good, body, at, nil},
		{"within tolerance", good, body, at.Add(5 * time.Minute), nil},
		{"upper-case hex, spaces", "t=1700000000, v1=386C26E49064A6B77C32C4EEADA0E4FDD0025172E45CAB71C350A50387446E62", body, at, nil},
		{"rotation: second v1 matches", "t=1700000000,v1=00,v1=386c26e49064a6b77c32c4eeada0e4fdd0025172e45cab71c350a50387446e62", body, at, nil},
		{"unknown scheme ignored", "t=1700000000,v0=zz,v1=386c26e49064a6b77c32c4eeada0e4fdd0025172e45cab71c350a50387446e62", body, at, nil},
		{"stale", good, body, at.Add(5*time.Minute + time.Second), httpapi.ErrStale},
		{"early", good, body, at.Add(-5*time.Minute - time.Second), httpapi.ErrStale},
		{"other body", good, []byte(`{"request_id":"r2"}`), at, httpapi.ErrBadSignature},
		{"missing", "", body, at, httpapi.ErrNoSignature},
		{"no v1", "t=1700000000", body, at, errAny},
		{"no t", "v1=386c26e49064a6b77c32c4eeada0e4fdd0025172e45cab71c350a50387446e62", body, at, errAny},
		{"two t", "t=1700000000,t=1700000001," + good[len("t=1700000000,"):], body, at, errAny},
		{"garbage", "sha256=abc", body, at, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := httpapi.Verify(key, tt.header, tt.body, tt.now, httpapi.Tolerance)
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want == errAny && err == nil:
				t.Error("accepted")
			case tt.want != nil && tt.want != errAny && !errors.Is(err, tt.want):
				t.Errorf("%v, want %v", err, tt.want)
			}
		})
	}
	if err := httpapi.Verify([]byte("another key"), good, body, at, httpapi.Tolerance); !errors.Is(err, httpapi.ErrBadSignature) {
		t.Errorf("wrong key: %v", err)
	}
}

var errAny = errors.New("any error")
