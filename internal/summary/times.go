package summary

import "time"

// earliest and latest choose between two times.
func earliest(a, b time.Time) bool { return a.Before(b) }
func latest(a, b time.Time) bool   { return a.After(b) }

// pickTime is the text of the time field, among the objects with a parsable one, that wins
// by better, as its object wrote it; "" when none has one.
func pickTime(objs []map[string]any, field string, better func(a, b time.Time) bool) string {
	var best time.Time
	text := ""
	for _, m := range objs {
		if t, ok := timeAt(m, field); ok && (text == "" || better(t, best)) {
			best, text = t, stringAt(m, field)
		}
	}
	return text
}

// setTime writes field as pickTime over the WECs' statuses, or removes it when none has one.
func setTime(ws []*wec, out map[string]any, field string, better func(a, b time.Time) bool) {
	statuses := make([]map[string]any, len(ws))
	for i, w := range ws {
		statuses[i] = w.status
	}
	setText(out, field, pickTime(statuses, field, better))
}

// setText writes a non-empty text as field, and removes field for "".
func setText(out map[string]any, field, text string) {
	if text == "" {
		delete(out, field)
		return
	}
	out[field] = text
}
