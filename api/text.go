package api

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow/request"
)

// multiLine are the body fields that hold free text, by JSON path with
// indexes as []; every other string field is one line. A field added to a
// body later is one line until it is named here, so the check fails safe.
var multiLine = map[string]bool{
	"details":             true, // POST /v1/requests
	"corrections[].value": true, // a postal address may take lines
	"note":                true, // verify, note and the note-only actions
	"reason":              true, // extend (deny's reason is an enum)
	"explanation":         true, // deny
	"summary":             true, // complete
	"evidence":            true, // complete-task
	"decisions[].reason":  true, // decide-corrections
}

// checkText walks a decoded body and names every string field whose text
// no case may hold (see request.CheckText), with its JSON path such as
// requester.name or corrections[0].value. One walk over every body means
// no text field, present or future, is left out.
func checkText(v any) []FieldError {
	var errs []FieldError
	walkText(reflect.ValueOf(v), "", "", &errs)
	return errs
}

func walkText(v reflect.Value, path, pattern string, errs *[]FieldError) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkText(v.Elem(), path, pattern, errs)
		}
	case reflect.String:
		kind := request.SingleLine
		if multiLine[pattern] {
			kind = request.MultiLine
		}
		if err := request.CheckText(v.String(), kind); err != nil {
			*errs = append(*errs, FieldError{Field: path, Reason: err.Error()})
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkText(v.Index(i), path+"["+strconv.Itoa(i)+"]", pattern+"[]", errs)
		}
	case reflect.Map:
		// No body has one today; keys are text too.
		for _, k := range v.MapKeys() {
			name := fmt.Sprint(k.Interface())
			if err := request.CheckText(name, request.SingleLine); err != nil {
				*errs = append(*errs, FieldError{Field: join(path, "(key)"), Reason: err.Error()})
			}
			walkText(v.MapIndex(k), join(path, name), join(pattern, "*"), errs)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue // time.Time and the like: not text from the body
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if f.Anonymous && f.Tag.Get("json") == "" {
				walkText(v.Field(i), path, pattern, errs)
				continue
			}
			walkText(v.Field(i), join(path, name), join(pattern, name), errs)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
