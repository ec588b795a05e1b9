package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"
)

// openapiYAML describes every /v1 route; it is written by hand, next to the
// code, and a contract test holds the two together.
//
//go:embed openapi.yaml
var openapiYAML []byte

var openapiJSON = mustJSON(openapiYAML)

// OpenAPI is the OpenAPI 3.1 document of the API, as JSON.
func OpenAPI() []byte { return openapiJSON }

func mustJSON(y []byte) []byte {
	var doc any
	if err := yaml.Unmarshal(y, &doc); err != nil {
		panic(fmt.Sprintf("api: openapi.yaml: %v", err))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("api: openapi.yaml as JSON: %v", err))
	}
	return b
}

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openapiJSON)
}
