package api

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dsrflow/dsrflow/auth"
)

// codecPayloads serves the remote codec protocol of Temporal's tools
// (`temporal workflow show --codec-endpoint URL/v1/codec --codec-auth
// "Bearer KEY"`, the UI's codec endpoint): sealed payloads in, readable
// ones out, for admins of every tenant only, since what comes out is
// personal data of any tenant.
func (s *Server) codecPayloads(c *gin.Context) {
	if s.Codec == nil {
		problem(c, http.StatusServiceUnavailable, "no payload codec", "this server has no encryption keys")
		return
	}
	// A sealed payload does not say which tenant's case it belongs to, and
	// the worker's data converter seals them all under the same keys: a
	// key limited to some tenants could decode any tenant's history. Only
	// an admin for every tenant may use the codec.
	if p := principal(c); !slices.Contains(p.Tenants, auth.AllTenants) {
		problem(c, http.StatusForbidden, "forbidden", "the codec decodes every tenant's payloads: it needs an admin key for all tenants (--tenant '*')")
		return
	}
	var convert func([]*commonpb.Payload) ([]*commonpb.Payload, error)
	switch c.Param("op") {
	case "decode":
		convert = s.Codec.Decode
	case "encode":
		convert = s.Codec.Encode
	default:
		problem(c, http.StatusNotFound, "no such route", "the codec answers at /v1/codec/decode and /v1/codec/encode")
		return
	}
	body, ok := readBody(c)
	if !ok {
		return
	}
	var in commonpb.Payloads
	if protojson.Unmarshal(body, &in) != nil {
		problem(c, http.StatusBadRequest, "malformed request", "body: not a JSON Payloads message",
			FieldError{Field: "payloads", Reason: "not a JSON Payloads message"})
		return
	}
	out, err := convert(in.Payloads)
	if err != nil {
		problem(c, http.StatusUnprocessableEntity, "cannot convert the payloads", err.Error(),
			FieldError{Field: "payloads", Reason: err.Error()})
		return
	}
	// The codec protocol is the SDK's JSON encoding of the message, as its
	// own remote codec client reads it.
	b, err := json.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		problem(c, http.StatusInternalServerError, "cannot encode the payloads", "")
		return
	}
	c.Data(http.StatusOK, "application/json", b)
}
