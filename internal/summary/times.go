package summary

import "time"

// earliest and latest choose between two times.
func earliest(a, b time.Time) bool { return a.Before(b) }
func latest(a, b time.Time) bool   { return a.After(b) }

// setTime writes field as the time that wins by better over the WECs that report a parsable
// one, as that WEC wrote it; it removes field when none does.
func setTime(ws []*wec, out map[string]any, field string, better func(a, b time.Time) bool) {
	var best time.Time
	text := ""
	for _, w := range ws {
		if t, ok := timeAt(w.status, field); ok && (text == "" || better(t, best)) {
			best, text = t, stringAt(w.status, field)
		}
	}
	if text == "" {
		delete(out, field)
		return
	}
	out[field] = text
}
