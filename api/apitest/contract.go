// Package apitest checks real API answers against the OpenAPI document, for
// the API's own tests and the end-to-end tests.
package apitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/dsrflow/dsrflow/api"
)

// Contract is the loaded OpenAPI document.
type Contract struct {
	Doc    *openapi3.T
	router routers.Router
}

// Load parses and validates the document.
func Load(t testing.TB) *Contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		t.Fatalf("openapi: load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi: invalid document: %v", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("openapi: router: %v", err)
	}
	return &Contract{Doc: doc, router: r}
}

// Check fails t when an answer to a /v1 request is not what the document
// says that operation answers: an undocumented route or status, or a body
// that does not match its schema.
func (c *Contract) Check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/v1/") {
		return
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return // a route that does not exist, answered as such
		}
		t.Errorf("openapi: %s %s answered %d but is not documented: %v", req.Method, req.URL.Path, status, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("openapi: %s %s answered %d against the document: %v\nbody: %.500s", req.Method, req.URL.Path, status, err, body)
	}
}
