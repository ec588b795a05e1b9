package api

import (
	"reflect"
	"testing"

	"github.com/dsrflow/dsrflow/auth"
)

// Every action's input names its actor, so the audit trail always says
// which key acted.
func TestEveryActionIsAttributed(t *testing.T) {
	for _, a := range actions {
		in := a.input()
		attribute(in, auth.Principal{Name: "ops"})
		if got := reflect.ValueOf(in).Elem().FieldByName("Actor"); !got.IsValid() || got.String() != "key:ops" {
			t.Errorf("%s: input %T is not attributed", a.path, in)
		}
	}
}
