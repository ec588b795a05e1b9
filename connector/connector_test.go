package connector_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector"
)

func TestCorrectionSplit(t *testing.T) {
	for field, ok := range map[string]bool{"customers.phone": true, "phone": false, ".phone": false,
		"customers.": false, "a.b.c": false} {
		d, c, err := connector.Correction{Field: field}.Split()
		if (err == nil) != ok {
			t.Errorf("%q: err %v, want ok=%v", field, err, ok)
		}
		if ok && d+"."+c != field {
			t.Errorf("%q split into %q and %q", field, d, c)
		}
	}
}

func TestHoldsIsTheLatest(t *testing.T) {
	early, late := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)
	if got := connector.Holds([]connector.Erasure{{Erased: 3}}); got != nil {
		t.Errorf("nothing held, got %v", got)
	}
	got := connector.Holds([]connector.Erasure{{HeldUntil: &late}, {}, {HeldUntil: &early}})
	if got == nil || !got.Equal(late) {
		t.Errorf("got %v, want %v", got, late)
	}
}

type permanent struct{}

func (permanent) Error() string   { return "refused" }
func (permanent) Permanent() bool { return true }

func TestIsPermanent(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errors.New("timeout"), false},
		{&connector.PermanentError{Err: errors.New("bad table")}, true},
		{fmt.Errorf("erase: %w", &connector.PermanentError{Err: errors.New("x")}), true},
		{fmt.Errorf("http: %w", permanent{}), true},
		{fmt.Errorf("wrapped: %w", connector.ErrUnsupported), false},
	} {
		if got := connector.IsPermanent(c.err); got != c.want {
			t.Errorf("IsPermanent(%v) = %v", c.err, got)
		}
	}
}

type fake struct{ connector.Connector }

func TestRegistry(t *testing.T) {
	var r connector.Registry
	if err := r.Add(connector.Info{Name: "db", Kind: connector.KindSQL, Owner: "a@x", Tenants: []string{"shop"}}, fake{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(connector.Info{Name: "archive", Kind: connector.KindManual, Owner: "b@x"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		info connector.Info
		conn connector.Connector
		want string
	}{
		{connector.Info{Name: "db", Kind: connector.KindSQL, Owner: "a@x"}, fake{}, "twice"},
		{connector.Info{Name: "x", Kind: connector.KindSQL, Owner: "a@x"}, nil, "needs an implementation"},
		{connector.Info{Name: "y", Kind: connector.KindManual, Owner: "a@x"}, fake{}, "has no implementation"},
		{connector.Info{Name: "z", Kind: connector.KindSQL}, fake{}, "owner"},
		{connector.Info{Kind: connector.KindSQL, Owner: "a@x"}, fake{}, "name"},
	} {
		if err := r.Add(c.info, c.conn); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Add(%+v): %v, want %q", c.info, err, c.want)
		}
	}
	shop := r.For("shop")
	if len(shop) != 2 || shop[0].Name != "db" || shop[0].Attempts != connector.DefaultAttempts || shop[1].RemindEvery != connector.DefaultRemindEvery {
		t.Errorf("For(shop) = %+v", shop)
	}
	if bank := r.For("bank"); len(bank) != 1 || bank[0].Name != "archive" {
		t.Errorf("For(bank) = %+v", bank)
	}
	if _, err := r.Get("archive"); err == nil {
		t.Error("a manual connector has no implementation to get")
	}
	if _, err := r.Get("db"); err != nil {
		t.Error(err)
	}
}
