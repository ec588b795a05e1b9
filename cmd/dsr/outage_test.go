package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store/storetest"
)

// proxy is a TCP relay the engine reaches PostgreSQL through, so a test can
// take the database away from the engine (and only from it) and bring it
// back, as a network partition or a database restart would.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, addr: freeAddr(t)}
	p.up()
	t.Cleanup(p.down)
	return p
}

// up listens (again) on the proxy's address.
func (p *proxy) up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.relay(c)
		}
	}()
}

func (p *proxy) relay(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

// down refuses new connections and breaks the open ones.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// The database goes away while requests come in: the API still opens them
// (they need only Temporal), answers for them from their workflows, and
// once the database is back the store catches up: every case is listed,
// with its whole audit trail.
func TestStoreOutageEndToEnd(t *testing.T) {
	needTemporal(t)
	direct := storetest.PostgresURL(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	db := startProxy(t, u.Host)
	u.Host = db.addr
	e := startDev(t, t.TempDir(), u.String())

	open := func(n int) (string, response) {
		r := e.post("/v1/requests", fmt.Sprintf(`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"outage%d@example.test"}}`, n))
		id, _ := r.body["id"].(string)
		return id, r
	}
	before, r := open(0)
	expect(t, "open before the outage", r, http.StatusCreated)
	e.awaitCase(r.body["reference"].(string), func(map[string]any) bool { return true })

	db.down()
	if r := e.get("/readyz"); r.status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database gone: %d", r.status)
	}
	var during []string
	for n := 1; n <= 5; n++ {
		id, r := open(n)
		expect(t, "open during the outage", r, http.StatusCreated)
		during = append(during, id)
	}
	// Read from the workflow while the store cannot answer.
	r = e.get("/v1/requests/" + during[0])
	expect(t, "read during the outage", r, http.StatusOK)
	if r.body["source"] != "workflow" || r.body["status"] != "pending_verification" {
		t.Errorf("case during the outage: %s", r.raw)
	}
	// The queue reads the store, and says it cannot.
	expect(t, "queue during the outage", e.get("/v1/requests"), http.StatusServiceUnavailable)
	time.Sleep(3 * time.Second) // the projections fail and back off meanwhile

	db.up()
	// Projections retry with backoff of at most a minute.
	all := append([]string{before}, during...)
	deadline := time.Now().Add(90 * time.Second)
	for _, id := range all {
		for {
			r := e.get("/v1/requests/" + id + "/events")
			var evs struct{ Events []struct{ Kind string } }
			_ = json.Unmarshal([]byte(r.raw), &evs)
			var kinds []string
			for _, ev := range evs.Events {
				kinds = append(kinds, ev.Kind)
			}
			if r.status == http.StatusOK && inOrder(kinds, []string{"case.opened"}) && count(kinds, "notice.sent") >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("case %s not caught up after the outage: %d %v", id, r.status, kinds)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	if n := len(e.list("/v1/requests?status=pending_verification")); n != len(all) {
		t.Errorf("%d cases listed after the outage, want %d", n, len(all))
	}
	code, out, stderr := dsr(t, []string{"DSR_DATABASE_URL=" + direct}, "audit", "verify")
	if code != 0 {
		t.Errorf("audit verify after the outage: exit %d %s %s", code, out, stderr)
	}
}
