package export

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Destination is a controller that receives portability packages directly.
type Destination struct {
	// URL takes the POST; it must be https.
	URL string
	// Secret is shared with the receiver, who checks X-DSR-Signature with it.
	Secret []byte
	// AllowHTTP permits a plain http URL, for tests against an
	// httptest.Server; never set it in production, where the package would
	// cross the network in clear.
	AllowHTTP bool
}

// TransferResult is what the receiver answered.
type TransferResult struct {
	Status int
	// Body is the start of the answer, at most MaxAnswer bytes; it is the
	// receiver's word and may quote the data: store it, never log it.
	Body   []byte
	Bytes  int64  // sent
	SHA256 string // of what was sent, hex
	Sent   time.Time
}

// MaxAnswer bounds the part of the receiver's answer that is kept.
const MaxAnswer = 4 << 10

// Transfer POSTs a package to a receiving controller, streamed:
//
//	POST <URL>
//	Content-Type: application/zip
//	Idempotency-Key: <reference>
//	X-DSR-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + hex SHA-256 of the body)>
//
// The receiver hashes the body, recomputes the HMAC with the shared secret,
// compares in constant time and refuses a t too far from its clock (which
// bounds replays); the Idempotency-Key lets it treat a retry of the same
// request's transfer as the one it already has. The signature needs the
// body's hash before the body is sent, so pkg is read twice: once to hash,
// once to send. Redirects are not followed: the package goes to the URL
// configured, or nowhere.
//
// An answer other than 2xx is an error; the result holds it either way.
func Transfer(ctx context.Context, client *http.Client, to Destination, pkg Opener, reference string) (TransferResult, error) {
	u, err := url.Parse(to.URL)
	switch {
	case err != nil:
		return TransferResult{}, fmt.Errorf("transfer %s: receiver URL: %w", reference, err)
	case u.Scheme == "http" && !to.AllowHTTP, u.Scheme != "https" && u.Scheme != "http":
		return TransferResult{}, fmt.Errorf("transfer %s: receiver URL must be https, not %q", reference, u.Scheme)
	case u.Host == "":
		return TransferResult{}, fmt.Errorf("transfer %s: receiver URL without a host", reference)
	case len(to.Secret) == 0:
		return TransferResult{}, fmt.Errorf("transfer %s: no signing secret", reference)
	case reference == "":
		return TransferResult{}, errors.New("transfer: no request reference")
	}
	sum, size, err := hashPackage(pkg)
	if err != nil {
		return TransferResult{}, fmt.Errorf("transfer %s: %w", reference, err)
	}
	res := TransferResult{Bytes: size, SHA256: hex.EncodeToString(sum), Sent: time.Now()}
	ts := strconv.FormatInt(res.Sent.Unix(), 10)

	body, err := pkg()
	if err != nil {
		return res, fmt.Errorf("transfer %s: open package: %w", reference, err)
	}
	// The transport closes body, possibly after Do returns.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.URL, body)
	if err != nil {
		body.Close()
		return res, fmt.Errorf("transfer %s: %w", reference, err)
	}
	req.ContentLength = size
	// Lets the transport resend on a kept-alive connection the receiver
	// had closed; a package that changed since hashing fails its signature.
	req.GetBody = func() (io.ReadCloser, error) { return pkg() }
	req.Header.Set("Content-Type", "application/zip")
	req.Header.Set("Idempotency-Key", reference)
	req.Header.Set("X-DSR-Signature", "t="+ts+",v1="+TransferSignature(to.Secret, ts, res.SHA256))
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return res, fmt.Errorf("transfer %s: %w", reference, err)
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	res.Body, err = io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return res, fmt.Errorf("transfer %s: reading the answer: %w", reference, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, fmt.Errorf("transfer %s: receiver answered %d", reference, resp.StatusCode)
	}
	return res, nil
}

// TransferSignature is the v1 value of X-DSR-Signature, for receivers
// written in Go (and the tests): hex HMAC-SHA256 of t + "." + bodySHA256.
func TransferSignature(secret []byte, t, bodySHA256 string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(t + "." + bodySHA256))
	return hex.EncodeToString(m.Sum(nil))
}

func hashPackage(pkg Opener) ([]byte, int64, error) {
	r, err := pkg()
	if err != nil {
		return nil, 0, fmt.Errorf("open package: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return nil, 0, fmt.Errorf("hash package: %w", err)
	}
	return h.Sum(nil), n, nil
}
