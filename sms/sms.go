// Package sms sends text messages: through an HTTP gateway in production,
// into an in-memory outbox in `dsr dev`.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Message is one text message.
type Message struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// ErrRejected wraps a gateway's refusal of a message (a 4xx answer): sending
// it again will not help.
var ErrRejected = errors.New("sms gateway rejected the message")

// Gateway posts each message as JSON {"to": ..., "text": ...} to URL, with
// the token as a bearer token. This is the shape of most SMS providers'
// simple send APIs and of small relays in front of the others; any 2xx
// answer means accepted.
type Gateway struct {
	URL    string
	Token  string
	Client *http.Client
}

// Send posts m. A 4xx answer wraps ErrRejected; other failures are worth
// retrying.
func (g *Gateway) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms gateway request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if g.Token != "" {
		req.Header.Set("Authorization", "Bearer "+g.Token)
	}
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	// Only the status goes into the error: gateways' answers tend to quote
	// the phone number, and errors end up in logs.
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s", ErrRejected, resp.Status)
	default:
		return fmt.Errorf("sms gateway: %s", resp.Status)
	}
}

// Sent is a message the outbox received.
type Sent struct {
	Message
	At time.Time `json:"at"`
}

// Outbox keeps what it is sent, for `dsr dev` and tests. It never delivers.
type Outbox struct {
	mu   sync.Mutex
	sent []Sent
}

// Send keeps m.
func (o *Outbox) Send(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, Sent{Message: m, At: time.Now().UTC()})
	return nil
}

// Messages returns what was sent, oldest first.
func (o *Outbox) Messages() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Sent(nil), o.sent...)
}
