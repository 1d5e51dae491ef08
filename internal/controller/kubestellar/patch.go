package kubestellar

import "reflect"

// mergePatch returns the JSON merge patch (RFC 7386) that turns current into want: the keys
// whose values differ, nested maps as patches of their own, lists whole, and null for each key
// of current that want lacks. It is nil when current already equals want. Neither map is
// changed; the patch shares want's values.
func mergePatch(current, want map[string]any) map[string]any {
	var b patchBuilder
	set := b.set
	for k, w := range want {
		c, ok := current[k]
		switch {
		case !ok:
			if w != nil { // null means absent: nothing to remove
				set(k, w)
			}
		case isMap(c) && isMap(w):
			if sub := mergePatch(c.(map[string]any), w.(map[string]any)); sub != nil {
				set(k, sub)
			}
		case !reflect.DeepEqual(c, w):
			set(k, w)
		}
	}
	for k := range current {
		if _, ok := want[k]; !ok {
			set(k, nil)
		}
	}
	return b.patch
}

// patchBuilder makes a patch's map on its first key: a nil patch means no change.
type patchBuilder struct{ patch map[string]any }

func (b *patchBuilder) set(k string, v any) {
	if b.patch == nil {
		b.patch = map[string]any{}
	}
	b.patch[k] = v
}

func isMap(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// removalPatch returns the merge patch that removes the keys of current the operator owns
// (what it wrote and nobody changed since), and whether there are any. When they are all the
// keys, the patch is null: the whole map goes, and with it the operator's claim on it (an empty
// map would stay the operator's in the object's managedFields).
func removalPatch(current map[string]any, owned map[string]bool) (any, bool) {
	var b patchBuilder
	for k := range owned {
		if _, ok := current[k]; ok {
			b.set(k, nil)
		}
	}
	switch {
	case b.patch == nil:
		return nil, false
	case len(b.patch) == len(current):
		return nil, true
	}
	return b.patch, true
}

// stringMapPatch returns the merge patch of labels or annotations: want's keys where current
// differs, and null for the keys the operator owns that want no longer lists; nil when none.
func stringMapPatch(current, want map[string]string, owned map[string]bool) map[string]any {
	var b patchBuilder
	set := b.set
	for k, v := range want {
		if got, ok := current[k]; !ok || got != v {
			set(k, v)
		}
	}
	for k := range owned {
		if _, ok := want[k]; !ok {
			if _, present := current[k]; present {
				set(k, nil)
			}
		}
	}
	return b.patch
}
