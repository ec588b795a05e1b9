package api_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/api/apitest"
	"github.com/dsrflow/dsrflow/auth"
)

// The document and the router describe the same routes, with the same
// roles: a route without a description fails, and so does a description
// without a route.
// ginParam is a path parameter as gin writes it (:id); OpenAPI writes {id}.
var ginParam = regexp.MustCompile(`:([a-z]+)`)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	c := apitest.Load(t)
	documented := map[string][]string{} // "GET /v1/x/{id}" -> roles
	for path, item := range c.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			var roles []string
			if raw, ok := op.Extensions["x-roles"]; ok {
				b, _ := json.Marshal(raw)
				if err := json.Unmarshal(b, &roles); err != nil {
					t.Errorf("%s %s: x-roles: %v", method, path, err)
				}
			} else {
				t.Errorf("%s %s: no x-roles", method, path)
			}
			documented[method+" "+path] = roles
		}
	}
	routed := map[string]bool{}
	for _, rt := range (&api.Server{}).Routes() {
		if !strings.HasPrefix(rt.Path, "/v1/") {
			continue
		}
		key := rt.Method + " " + ginParam.ReplaceAllString(rt.Path, "{$1}")
		routed[key] = true
		roles, ok := documented[key]
		if !ok {
			t.Errorf("%s has no description in openapi.yaml", key)
			continue
		}
		want := make([]string, len(rt.Roles))
		for i, r := range rt.Roles {
			want[i] = string(r)
		}
		slices.Sort(want)
		slices.Sort(roles)
		if !slices.Equal(roles, want) {
			t.Errorf("%s: x-roles %v, the router allows %v", key, roles, want)
		}
	}
	for key := range documented {
		if !routed[key] {
			t.Errorf("openapi.yaml describes %s, which has no route", key)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t)
	a := f.doWith(t, nil, "GET", "/v1/openapi.json", "")
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal([]byte(a.raw), &doc); a.status != 200 || err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("GET /v1/openapi.json without a key: %d %v %.100s", a.status, err, a.raw)
	}
	_ = auth.Roles
}
