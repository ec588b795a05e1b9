package codec

import (
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"
)

// BenchmarkRoundTrip measures what sealing adds to writing and reading one
// payload the size of a case's state, against the plain converter in the
// same run: compare sealed with plain.
func BenchmarkRoundTrip(b *testing.B) {
	state := map[string]any{
		"case_id": "6f1c2d4e-0000-4000-8000-000000000001", "reference": "DSR-46GP-8HQW-7D2W",
		"status": "in_progress", "requester": map[string]string{"name": "李雷", "email": "li.lei@example.test"},
		"details": strings.Repeat("请删除我在贵公司的全部个人信息。", 20),
	}
	sealed, err := New([]Key{{ID: "k1", Secret: make([]byte, 32)}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		dc   converter.DataConverter
	}{{"plain", converter.GetDefaultDataConverter()}, {"sealed", sealed.DataConverter()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := bc.dc.ToPayload(state)
				if err != nil {
					b.Fatal(err)
				}
				var back map[string]any
				if err := bc.dc.FromPayload(p, &back); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
