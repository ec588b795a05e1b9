package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// bodyTypes are the body types of every POST route that decodes JSON, by
// route path, taken from the router and the action table themselves so
// that a route added later is covered without editing this test.
func bodyTypes(t *testing.T, s *Server) map[string]reflect.Type {
	t.Helper()
	byPath := map[string]reflect.Type{"/v1/requests": reflect.TypeFor[OpenRequest]()}
	for _, a := range actions {
		byPath["/v1/requests/:id/"+a.path] = reflect.TypeOf(a.input()).Elem()
	}
	out := map[string]reflect.Type{}
	for _, rt := range s.Routes() {
		if rt.Method != http.MethodPost {
			continue
		}
		switch rt.Path {
		case "/v1/intake/email", "/v1/codec/:op", "/v1/connectors/:name/callbacks":
			// Not JSON bodies of case text: a MIME message (the intake's
			// own checks), codec payloads, signed callbacks.
			continue
		}
		typ, ok := byPath[rt.Path]
		if !ok {
			t.Fatalf("POST %s: no body type known to this test; add it", rt.Path)
		}
		out[rt.Path] = typ
	}
	return out
}

// sample builds a JSON value of type t in which every string leaf is
// "ok", every slice has two elements, and records each string leaf's JSON
// path.
func sample(t reflect.Type, path string, leaves *[]string) any {
	switch t.Kind() {
	case reflect.Pointer:
		return sample(t.Elem(), path, leaves)
	case reflect.String:
		*leaves = append(*leaves, path)
		return "ok"
	case reflect.Bool:
		return false
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return 1
	case reflect.Slice:
		return []any{sample(t.Elem(), path+"[0]", leaves), sample(t.Elem(), path+"[1]", leaves)}
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return time.Now().UTC().Format(time.RFC3339)
		}
		obj := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			obj[name] = sample(f.Type, join(path, name), leaves)
		}
		return obj
	}
	panic("sample: no JSON for " + t.String())
}

// set replaces the leaf at path in v.
func set(v any, path string, to string) any {
	if path == "" {
		return to
	}
	head, rest, _ := strings.Cut(path, ".")
	name, index, isIndex := strings.Cut(head, "[")
	obj := v.(map[string]any)
	if !isIndex {
		obj[name] = set(obj[name], rest, to)
		return obj
	}
	arr := obj[name].([]any)
	i := int(index[0] - '0')
	// "corrections[1].value" and the like: one level of index is all the
	// bodies have.
	arr[i] = set(arr[i], rest, to)
	return obj
}

// Every string field of every body of every POST route refuses a NUL with
// a 422 that names the field by its JSON path. The bodies are built by
// reflection over the types the routes decode, so no field is missed.
func TestEveryTextFieldRefusesNUL(t *testing.T) {
	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, store.SQLite)
	plain, hash, err := auth.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(context.Background(), &store.APIKey{ID: uuid.NewString(), Name: "admin-test",
		Hash: hash, Role: string(auth.Admin), Tenants: auth.AllTenants}); err != nil {
		t.Fatal(err)
	}
	// No engine: the text is refused before anything needs one.
	s := &Server{Store: st, Policies: reg, TaskQueue: "dsr"}
	h := s.Handler()
	id := uuid.NewString()
	fields := 0
	for route, typ := range bodyTypes(t, s) {
		var leaves []string
		sample(typ, "", &leaves)
		if len(leaves) == 0 {
			t.Errorf("%s: %s has no string field to check", route, typ)
		}
		for _, leaf := range leaves {
			for _, bad := range []string{"a\x00b", "a\x01b", "a\x1bb", "a\x7fb"} {
				var none []string
				body := set(sample(typ, "", &none), leaf, bad)
				b, err := json.Marshal(body)
				if err != nil {
					t.Fatal(err)
				}
				req := httptest.NewRequest(http.MethodPost, strings.Replace(route, ":id", id, 1), strings.NewReader(string(b)))
				req.Header.Set("Authorization", "Bearer "+plain)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				var p Problem
				_ = json.Unmarshal(rec.Body.Bytes(), &p)
				named := slices.ContainsFunc(p.Errors, func(e FieldError) bool { return e.Field == leaf })
				if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get("Content-Type") != "application/problem+json" || !named {
					t.Errorf("POST %s with %q in %s: %d %s", route, bad, leaf, rec.Code, rec.Body)
				}
				// Only the poisoned field is at fault in the text check.
				for _, e := range p.Errors {
					if e.Field != leaf && strings.Contains(e.Reason, "control character") {
						t.Errorf("POST %s: %s blamed for %s's text: %s", route, e.Field, leaf, rec.Body)
					}
				}
			}
			fields++
		}
	}
	t.Logf("%d string fields checked", fields)
}

// Single-line fields refuse tabs, line breaks and U+2028/U+2029; free text
// keeps them.
func TestTextKinds(t *testing.T) {
	for _, tc := range []struct {
		body  any
		field string // "" when the text is fine
	}{
		{OpenRequest{Details: "line one\nline two\ttabbed\r\n"}, ""},
		{OpenRequest{Details: "para\u2029graph"}, ""},
		{OpenRequest{Tenant: "shop\n"}, "tenant"},
		{OpenRequest{Details: "ok", Controller: "Acme\u2028Ltd"}, "controller"},
		{OpenRequest{Actor: "desk\t1"}, "actor"},
		{OpenRequest{Details: "a\u0085b"}, "details"}, // C1 NEL
		{OpenRequest{Details: "a\x00b"}, "details"},
	} {
		errs := checkText(&tc.body)
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%+v: refused: %v", tc.body, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field):
			t.Errorf("%+v: %v, want one error for %s", tc.body, errs, tc.field)
		}
	}
}
