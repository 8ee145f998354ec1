package ui

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/constat-ent/constat/incidents"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"
)

// decodeJSON decodes the body into v strictly: Content-Type
// application/json, at most maxFormBytes, exactly one JSON object, member
// names matching v's json tags exactly (not "SPEAKER" for "speaker"), no
// unknown or duplicate member, valid UTF-8 with no lone surrogate, and no
// bidirectional control character in any string (a title, name or quote
// that displays otherwise than it reads). It is encoding/json/v2's
// semantics, through github.com/go-json-experiment/json, where
// encoding/json replaced invalid UTF-8, matched names without case and
// kept the last of duplicate members. It returns a
// *incidents.ValidationError (field "" for the body as a whole) or
// errTooLarge.
func decodeJSON(c echo.Context, v any) error {
	r := c.Request()
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &incidents.ValidationError{Message: "Content-Type must be application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, maxFormBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return errTooLarge
	}
	if err != nil {
		return &incidents.ValidationError{Message: "body could not be read"}
	}
	if err := jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		return jsonRefusal(err)
	}
	return refuseBidi(reflect.ValueOf(v).Elem(), "")
}

// jsonRefusal says what is wrong with a body jsonv2 refused, and where.
func jsonRefusal(err error) error {
	if se, ok := errors.AsType[*jsonv2.SemanticError](err); ok {
		field := pointerField(se.JSONPointer)
		switch {
		case errors.Is(se.Err, jsonv2.ErrUnknownName):
			return &incidents.ValidationError{Field: field, Message: "unknown field (names are matched exactly)"}
		case se.GoType != nil && se.JSONKind != 0:
			return &incidents.ValidationError{Field: field, Message: "must be a JSON " + jsonKind(se.GoType)}
		}
	}
	if se, ok := errors.AsType[*jsontext.SyntacticError](err); ok {
		field := pointerField(se.JSONPointer)
		switch {
		case errors.Is(se.Err, jsontext.ErrDuplicateName):
			return &incidents.ValidationError{Field: field, Message: "duplicate field"}
		case errors.Is(se.Err, io.ErrUnexpectedEOF):
			return &incidents.ValidationError{Message: "body is not a complete JSON object"}
		case strings.Contains(se.Err.Error(), "UTF-8") || strings.Contains(se.Err.Error(), "surrogate"):
			// jsontext's sentinel for invalid UTF-8 is internal: its text is all there is.
			return &incidents.ValidationError{Field: field, Message: fmt.Sprintf("invalid UTF-8 or lone surrogate at byte %d", se.ByteOffset)}
		}
		return &incidents.ValidationError{Field: field, Message: fmt.Sprintf("body is not valid JSON (at byte %d)", se.ByteOffset)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &incidents.ValidationError{Message: "body is not a complete JSON object"}
	}
	return &incidents.ValidationError{Message: "body is not a valid JSON object for this request"}
}

// jsonKind names the JSON type a Go type reads from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Bool:
		return "boolean"
	}
	return "number"
}

// pointerField writes a JSON pointer as the API's field paths:
// "/components/0/status" is "components[0].status".
func pointerField(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// isBidiControl reports whether r is a bidirectional embedding, override
// or isolate control (U+202A–U+202E, U+2066–U+2069).
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// refuseBidi refuses any string in v (struct fields by json name, slices
// by index) holding a bidirectional control.
func refuseBidi(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.String:
		if strings.IndexFunc(v.String(), isBidiControl) >= 0 {
			return &incidents.ValidationError{Field: path, Message: "contains a bidirectional control character (U+202A–U+202E, U+2066–U+2069)"}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if err := refuseBidi(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			if path != "" {
				name = path + "." + name
			}
			if err := refuseBidi(v.Field(i), name); err != nil {
				return err
			}
		}
	}
	return nil
}
