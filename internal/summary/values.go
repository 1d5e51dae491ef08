package summary

import (
	"fmt"
	"time"
)

// intValue reads an integer as the decoders of apimachinery and hand-built maps hold it (the
// types kstatus reads too).
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	}
	return 0, false
}

// count reads a count of status; absent, null or malformed reads 0, as kstatus reads it.
func count(status map[string]any, field string) (n int64, found bool) {
	v, ok := status[field]
	if !ok || v == nil {
		return 0, false
	}
	n, ok = intValue(v)
	return n, ok
}

// stringAt reads a string field; anything else reads "".
func stringAt(m map[string]any, field string) string {
	s, _ := m[field].(string)
	return s
}

// timeAt parses an RFC 3339 time field; absent or unparsable reads as not found.
func timeAt(m map[string]any, field string) (time.Time, bool) {
	s, ok := m[field].(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// deepCopy copies maps and slices of a decoded JSON value; scalars are immutable.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func deepCopyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = deepCopy(e)
	}
	return out
}

// typeName names a decoded JSON value's type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case float64, float32:
		return "a non-integer number"
	}
	if _, ok := intValue(v); ok {
		return "an integer"
	}
	return fmt.Sprintf("a %T", v)
}
