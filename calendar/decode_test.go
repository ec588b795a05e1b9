package calendar

import (
	"testing"

	"github.com/go-viper/mapstructure/v2"
	"gopkg.in/yaml.v3"
)

// TestDecodeHook decodes a spec the way viper does: YAML into a map, then
// mapstructure with weak typing into the struct.
func TestDecodeHook(t *testing.T) {
	const doc = `
id: fr
version: "1"
time_zone: Europe/Paris
weekend: [saturday, sunday]
first_year: 2026
last_year: 2026
holidays:
  - {name: Fête du Travail, from: 2026-05-01, to: 2026-05-01}
working_days: [2026-05-09]
`
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatal(err)
	}
	decode := func(hook mapstructure.DecodeHookFunc) (Spec, error) {
		var s Spec
		d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
			WeaklyTypedInput: true, DecodeHook: hook, Result: &s,
		})
		if err != nil {
			t.Fatal(err)
		}
		return s, d.Decode(raw)
	}
	// Without the hook the unquoted dates do not decode; if this ever
	// passes, the hook is no longer needed.
	if _, err := decode(nil); err == nil {
		t.Error("decoding without DecodeHook succeeded")
	}
	s, err := decode(DecodeHook)
	if err != nil {
		t.Fatal(err)
	}
	if s.Holidays[0].From != "2026-05-01" || s.WorkingDays[0] != "2026-05-09" {
		t.Errorf("decoded %+v", s)
	}
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.IsWorkingDay(Date{2026, 5, 9}); !ok {
		t.Error("2026-05-09 should be a working day")
	}
}
