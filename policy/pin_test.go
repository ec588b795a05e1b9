package policy_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// A pinned policy survives JSON (it travels in workflow history) and gives
// the same schedule as the live one, for every preset.
func TestPinnedPolicyBuildsTheSameSchedule(t *testing.T) {
	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 9, 28, 9, 0, 0, 0, time.UTC)
	verified := received.Add(50 * time.Hour)
	for _, live := range reg.List() {
		pin, err := live.Pin(received)
		if err != nil {
			t.Fatalf("%s: %v", live.ID, err)
		}
		b, err := json.Marshal(pin)
		if err != nil {
			t.Fatal(err)
		}
		var decoded policy.Pinned
		if err := json.Unmarshal(b, &decoded); err != nil {
			t.Fatal(err)
		}
		pinned, err := decoded.Build()
		if err != nil {
			t.Fatalf("%s: %v", live.ID, err)
		}
		for _, typ := range []request.Type{request.Access, request.AccountCancellation} {
			want, wantErr := live.Schedule(typ, received, &verified)
			got, gotErr := pinned.Schedule(typ, received, &verified)
			if !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) {
				t.Errorf("%s %s: pinned schedule %+v (%v), live %+v (%v)", live.ID, typ, got, gotErr, want, wantErr)
			}
		}
	}
}
