package activities

import (
	"errors"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
)

// RecordName is the name under which Record runs, as an activity or, for
// case-core cases, a local activity.
const RecordName = "Record"

// ErrStoreRefused is the error type of a write the store will never take,
// however often it is retried: PostgreSQL refused a value (SQLSTATE class
// 22, data exception, e.g. a NUL byte in text) or a size limit (class 54).
const ErrStoreRefused = "StoreRefused"

// refusal turns an error the store will never stop giving into a
// non-retryable one, so that the workflow can show it instead of
// retrying in silence; any other error is returned as it is.
func refusal(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "54")) {
		return temporal.NewNonRetryableApplicationError(pg.Message+" (SQLSTATE "+pg.Code+")", ErrStoreRefused, err)
	}
	return err
}

// Clean returns p with what PostgreSQL refuses in text removed: NUL and
// the other C0 controls but tab and newline, and invalid UTF-8. It is the
// fallback for a projection the store refused; the doors refuse such
// values first.
func Clean(p Projection) Projection {
	c := p.Case
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String && f.CanSet() {
			f.SetString(cleanText(f.String()))
		}
	}
	out := Projection{Case: c}
	for _, e := range p.Events {
		detail := make(map[string]string, len(e.Detail))
		for k, val := range e.Detail {
			detail[cleanText(k)] = cleanText(val)
		}
		e.Detail = detail
		e.Key, e.Kind, e.Actor = cleanText(e.Key), cleanText(e.Kind), cleanText(e.Actor)
		out.Events = append(out.Events, e)
	}
	return out
}

func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, isRefusedControl) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isRefusedControl(r) {
			return -1
		}
		return r
	}, s)
}

func isRefusedControl(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' }
