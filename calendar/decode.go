package calendar

import (
	"reflect"
	"time"
)

// DecodeHook is a mapstructure decode hook (pass it to
// mapstructure.ComposeDecodeHookFunc, e.g. via viper.DecodeHook) that lets
// calendar specs come from viper config. YAML parsers turn an unquoted
// 2026-10-01 into a time.Time when decoding into a map, and mapstructure
// cannot put a time.Time into Spec's string fields; this writes it back as
// YYYY-MM-DD. It only acts where decoding would otherwise fail.
func DecodeHook(from, to reflect.Type, data any) (any, error) {
	t, ok := data.(time.Time)
	if !ok || to.Kind() != reflect.String {
		return data, nil
	}
	if t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
		return DateOf(t.UTC()).String(), nil
	}
	return t.Format(time.RFC3339Nano), nil
}
