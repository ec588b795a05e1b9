package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/codec"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// The Temporal UI decodes sealed history through the console session: a
// signed-in admin sees payloads decoded, others are refused, and only the
// configured UI origin may ask from another origin.
func TestCodecForTheTemporalUI(t *testing.T) {
	const ui = "https://temporal.example.com"
	sealer, err := codec.New([]codec.Key{{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")}})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := policy.NewRegistry(nil, nil)
	st := storetest.Open(t, store.SQLite)
	a := &api.Server{Store: st, Policies: reg, Codec: sealer}
	con, err := New(a.Handler(), Options{Authenticate: a.Principal, Routes: a.Routes(), Policies: reg,
		Secret: []byte("0123456789abcdef0123456789abcdef"), CodecOrigins: []string{ui}, Sessions: st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con)
	defer srv.Close()

	plain := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"email":"li.lei@example.test"}`)}
	sealed, err := sealer.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: sealed})
	cookie := func(role auth.Role, tenants string) string {
		key := newKey(t, st, role, tenants)
		p, err := a.Principal(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		s := session{Key: key, KeyID: p.KeyID, Role: string(role), ID: uuid.NewString(), Expires: time.Now().Add(time.Hour)}
		if err := st.CreateConsoleSession(context.Background(), &store.ConsoleSession{IDHash: auth.Hash(s.ID), APIKeyID: p.KeyID, ExpiresAt: s.Expires}); err != nil {
			t.Fatal(err)
		}
		v, err := con.seal.seal(s)
		if err != nil {
			t.Fatal(err)
		}
		return sessionCookie + "=" + v
	}
	decode := func(origin, cookie string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/codec/decode", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", "default")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}

	res, out := decode(ui, cookie(auth.Admin, "*"))
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != ui ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("admin from the UI: %d %v %s", res.StatusCode, res.Header, out)
	}
	var got commonpb.Payloads
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Payloads) != 1 || string(got.Payloads[0].Data) != string(plain.Data) {
		t.Fatalf("decoded: %s (%v)", out, err)
	}
	if strings.Contains(string(body), "li.lei") {
		t.Fatal("the test's payload was not sealed to begin with")
	}

	for _, c := range []struct {
		name, origin, cookie string
		status               int
	}{
		{"no session", ui, "", http.StatusUnauthorized},
		{"forged session", ui, sessionCookie + "=forged", http.StatusUnauthorized},
		{"a DPO", ui, cookie(auth.DPO, "*"), http.StatusForbidden},
		// Sealed payloads do not name their tenant: an admin of one tenant
		// would read every tenant's history.
		{"an admin of one tenant", ui, cookie(auth.Admin, "acme"), http.StatusForbidden},
		{"another origin", "https://evil.example", cookie(auth.Admin, "*"), http.StatusForbidden},
	} {
		res, out := decode(c.origin, c.cookie)
		if res.StatusCode != c.status || strings.Contains(out, "li.lei") {
			t.Errorf("%s: %d, want %d: %s", c.name, res.StatusCode, c.status, out)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s: content type %q", c.name, ct)
		}
	}

	// The API's own route, as `temporal workflow show --codec-endpoint`
	// calls it: the same rule.
	for _, c := range []struct {
		tenants string
		status  int
	}{{"acme", http.StatusForbidden}, {"acme,shop", http.StatusForbidden}, {"*", http.StatusOK}} {
		req := httptest.NewRequest(http.MethodPost, "/v1/codec/decode", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+newKey(t, st, auth.Admin, c.tenants))
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != c.status || (c.status != http.StatusOK && strings.Contains(rec.Body.String(), "li.lei")) {
			t.Errorf("/v1/codec/decode for an admin of %s: %d, want %d: %s", c.tenants, rec.Code, c.status, rec.Body)
		}
	}

	// The browser's preflight carries no cookie.
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/console/codec/decode", nil)
	req.Header.Set("Origin", ui)
	req.Header.Set("Access-Control-Request-Method", "POST")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
}
