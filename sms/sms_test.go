package sms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGatewayPostsJSON(t *testing.T) {
	var got Message
	var auth, ctype string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, ctype = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	g := &Gateway{URL: srv.URL, Token: "s3cret"}
	if err := g.Send(context.Background(), Message{To: "+8613800000000", Text: "验证码 123456"}); err != nil {
		t.Fatal(err)
	}
	if got.To != "+8613800000000" || got.Text != "验证码 123456" || auth != "Bearer s3cret" || ctype != "application/json" {
		t.Errorf("gateway got %+v, auth %q, type %q", got, auth, ctype)
	}
}

func TestGatewayErrors(t *testing.T) {
	for _, tt := range []struct {
		status   int
		rejected bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusTooManyRequests, false},
		{http.StatusBadGateway, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", tt.status)
		}))
		err := (&Gateway{URL: srv.URL}).Send(context.Background(), Message{To: "+1", Text: "x"})
		srv.Close()
		if err == nil || errors.Is(err, ErrRejected) != tt.rejected {
			t.Errorf("status %d: err = %v, rejected want %v", tt.status, err, tt.rejected)
		}
	}
	if err := (&Gateway{URL: "http://127.0.0.1:1"}).Send(context.Background(), Message{}); err == nil || errors.Is(err, ErrRejected) {
		t.Errorf("unreachable gateway: err = %v, want a retryable error", err)
	}
}

func TestOutbox(t *testing.T) {
	var o Outbox
	_ = o.Send(context.Background(), Message{To: "+1", Text: "a"})
	_ = o.Send(context.Background(), Message{To: "+2", Text: "b"})
	m := o.Messages()
	if len(m) != 2 || m[0].To != "+1" || m[1].Text != "b" || m[0].At.IsZero() {
		t.Errorf("messages %+v", m)
	}
}
