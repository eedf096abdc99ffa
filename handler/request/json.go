package request

import (
	"encoding/json"
	"errors"
	"reflect"
	"scf-cvm-project/handler/answer"
)

// The JSON types, as messages name them.
const (
	TypeObject  = "an object"
	TypeArray   = "an array"
	TypeString  = "a string"
	TypeNumber  = "a number"
	TypeBoolean = "a boolean"
	TypeNull    = "null"
)

// JSONType names the type of a JSON value from its first byte; "" when
// raw is empty (the key was absent). It does not check the rest of raw.
func JSONType(raw []byte) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return TypeObject
		case '[':
			return TypeArray
		case '"':
			return TypeString
		case 't', 'f':
			return TypeBoolean
		case 'n':
			return TypeNull
		}
		return TypeNumber
	}
	return ""
}

// Present reports whether a key was given a value: absent and null are the same.
func Present(raw json.RawMessage) bool {
	t := JSONType(raw)
	return t != "" && t != TypeNull
}

// DecodeObject decodes data, which must be one JSON object, into v, whose
// fields are all json.RawMessage (so a valid object always fits). It scans
// data once: the check and the decode are the same pass. what names data in
// the message ("the event", "the body").
func DecodeObject(what string, data []byte, v any) *answer.Error {
	t := JSONType(data)
	if t == "" {
		return answer.Errorf(answer.CodeInvalidParameter, "%s is empty; want a JSON object", what)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return answer.Errorf(answer.CodeInvalidParameter, "%s is not valid JSON: %v (at byte %d)", what, err, se.Offset)
		}
		if t == TypeObject {
			return answer.Errorf(answer.CodeInvalidParameter, "%s cannot be read: %v", what, err)
		}
	}
	if t != TypeObject {
		return answer.Errorf(answer.CodeInvalidParameter, "%s must be a JSON object; got %s", what, t)
	}
	return nil
}

// DecodeField decodes the top-level field name of an event, when present,
// into v; a wrong type is refused with a message naming the field.
func DecodeField(what, name string, raw json.RawMessage, v any) *answer.Error {
	if !Present(raw) {
		return nil
	}
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := name
		if te.Field != "" {
			field += "." + te.Field
		}
		return answer.Errorf(answer.CodeInvalidParameter, "%s has the wrong type at %s: want %s, got %s", what, field, goTypeName(te.Type), te.Value)
	}
	return answer.Errorf(answer.CodeInvalidParameter, "%s cannot be read at %s: %v", what, name, err)
}

// goTypeName names a Go type as a JSON type.
func goTypeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return TypeString
	case reflect.Bool:
		return TypeBoolean
	case reflect.Map, reflect.Struct:
		return TypeObject
	case reflect.Slice, reflect.Array:
		return TypeArray
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return TypeNumber
	}
	return t.String()
}
