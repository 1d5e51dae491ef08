package kubestellar

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The cuts of slimWDSObject (cache_transform.go), made while an event's object is read.

// Keys the cuts look for.
const (
	keyMetadata       = "metadata"
	keyAnnotations    = "annotations"
	fieldsLabels      = "f:labels"
	fieldsAnnotations = "f:annotations"
)

// topObject reads an event's object; with pruneSlim, as slimWDSObject leaves it. typeKeysPlain
// says that it has one key "apiVersion" and one "kind" and no other key that encoding/json
// (which the standard decode reads them with first) would take for either.
func (p *eventParser) topObject(mode pruning) (map[string]any, bool, error) {
	obj := map[string]any{}
	apiVersionKeys, kindKeys, plain := 0, 0, true
	err := p.object(func(key string) error {
		switch {
		case strings.EqualFold(key, "apiVersion"):
			apiVersionKeys++
			plain = plain && key == "apiVersion"
		case strings.EqualFold(key, "kind"):
			kindKeys++
			plain = plain && key == "kind"
		}
		var (
			v   any
			err error
		)
		switch {
		case mode == pruneSlim && key == keyMetadata:
			v, err = p.metadata()
		case mode == pruneSlim && key == "spec":
			v, err = p.spec()
		default:
			v, err = p.value()
		}
		obj[key] = v
		return err
	})
	return obj, plain && apiVersionKeys == 1 && kindKeys == 1, err
}

// spec reads a spec without the pod template (spec.template, spec.jobTemplate).
func (p *eventParser) spec() (any, error) {
	if p.peek() != '{' {
		return p.value()
	}
	spec := map[string]any{}
	err := p.object(func(key string) error {
		if key == "template" || key == "jobTemplate" {
			delete(spec, key)
			return p.skip()
		}
		v, err := p.value()
		spec[key] = v
		return err
	})
	return spec, err
}

// metadata reads an object's metadata, keeping of its annotations and managedFields what
// keepOwnAnnotations and keepOwnManagedFieldsOf keep.
func (p *eventParser) metadata() (any, error) {
	if p.peek() != '{' {
		return p.value()
	}
	md := map[string]any{}
	err := p.object(func(key string) error {
		var (
			v    any
			keep = true
			err  error
		)
		switch key {
		case keyAnnotations:
			v, keep, err = p.annotations()
		case "managedFields":
			v, keep, err = p.managedFields()
		default:
			v, err = p.value()
		}
		if keep {
			md[key] = v
		} else {
			delete(md, key)
		}
		return err
	})
	return md, err
}

// annotations reads annotations, keeping the operator's own (ownAnnotations); keep false says
// that none is left of a non-empty set. Annotations that are not all strings are kept whole,
// as keepOwnAnnotations (through GetAnnotations) keeps them.
func (p *eventParser) annotations() (any, bool, error) {
	if p.peek() != '{' {
		v, err := p.value()
		return v, true, err
	}
	start, depth := p.i, p.depth
	var ours map[string]any
	others, allStrings := false, true
	err := p.object(func(key string) error {
		if p.peek() != '"' {
			allStrings = false
			return p.skip()
		}
		if !isOwnAnnotation(key) {
			others = true
			delete(ours, key)
			return p.skipStr()
		}
		v, err := p.str()
		if ours == nil {
			ours = map[string]any{}
		}
		ours[key] = v
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if !allStrings {
		// Rare: read them again in full (a later duplicate key may still make them all strings).
		end := p.i
		p.i, p.depth = start, depth
		v, err := p.value()
		if err != nil {
			return nil, false, err
		}
		p.i = end
		u := &unstructured.Unstructured{Object: map[string]any{keyMetadata: map[string]any{keyAnnotations: v}}}
		keepOwnAnnotations(u)
		v, found, _ := unstructured.NestedFieldNoCopy(u.Object, keyMetadata, keyAnnotations)
		return v, found, nil
	}
	if ours == nil {
		return map[string]any{}, !others, nil
	}
	return ours, true, nil
}

func isOwnAnnotation(key string) bool {
	for _, k := range ownAnnotations {
		if k == key {
			return true
		}
	}
	return false
}

// managedFields reads managedFields, keeping the entries of the operator and KubeStellar's
// status controller, trimmed (trimFieldsMap); keep false says that no entry is left.
func (p *eventParser) managedFields() (any, bool, error) {
	if p.peek() != '[' {
		v, err := p.value()
		return v, true, err
	}
	kept := []any{}
	err := p.array(func() error {
		if p.peek() != '{' {
			v, err := p.value()
			kept = append(kept, v)
			return err
		}
		start, depth := p.i, p.depth
		e, keep, complete, err := p.managedFieldsEntry(false)
		if err != nil || !keep {
			return err
		}
		if !complete {
			// A later manager key made an entry dropped so far kept: read it again in full.
			end := p.i
			p.i, p.depth = start, depth
			if e, _, _, err = p.managedFieldsEntry(true); err != nil {
				return err
			}
			p.i = end
		}
		kept = append(kept, e)
		return nil
	})
	return kept, len(kept) > 0, err
}

// managedFieldsEntry reads one entry, skipping the values after a manager key of another field
// manager (complete false if it skipped any); full reads every value.
func (p *eventParser) managedFieldsEntry(full bool) (map[string]any, bool, bool, error) {
	e := map[string]any{}
	manager, complete := "", true
	err := p.object(func(key string) error {
		if key == "manager" {
			manager = ""
			if p.peek() != '"' {
				return p.skip()
			}
			s, err := p.str()
			manager = s
			e[key] = s
			return err
		}
		if !full && !isOwnManager(manager) && e["manager"] != nil {
			complete = false
			return p.skip()
		}
		var (
			v   any
			err error
		)
		if key == "fieldsV1" && p.peek() == '{' {
			v, err = p.trimmedFields()
		} else {
			v, err = p.value()
		}
		e[key] = v
		return err
	})
	return e, isOwnManager(manager), complete, err
}

func isOwnManager(m string) bool { return m == FieldManager || m == KubeStellarStatusManager }

// trimmedFields reads a fieldsV1 set as trimFieldsMap leaves it: the top-level fields under
// f:status and under f:metadata's f:labels and f:annotations.
func (p *eventParser) trimmedFields() (map[string]any, error) {
	out := map[string]any{}
	err := p.object(func(key string) error {
		switch key {
		case "f:status":
			v, err := p.leaves()
			out[key] = v
			return err
		case "f:metadata":
			if p.peek() != '{' {
				delete(out, key)
				return p.skip()
			}
			m := map[string]any{}
			out[key] = m
			return p.object(func(key string) error {
				if key != fieldsLabels && key != fieldsAnnotations {
					return p.skip()
				}
				v, err := p.leaves()
				m[key] = v
				return err
			})
		default:
			return p.skip()
		}
	})
	return out, err
}

// leaves reads a set's members as empty sets (nil if it is not an object, as trimFieldsMap's
// leaves gives it).
func (p *eventParser) leaves() (map[string]any, error) {
	if p.peek() != '{' {
		return nil, p.skip()
	}
	m := map[string]any{}
	err := p.object(func(key string) error {
		m[key] = map[string]any{}
		return p.skip()
	})
	return m, err
}
