package summary

import (
	"fmt"
)

// check is one shape check of a status; it returns an error naming the field.
type check func(status map[string]any) error

// checkStatus runs the checks every kind shares, then the rule's own.
func checkStatus(r *rule, status map[string]any) error {
	checks := append([]check{checkObservedGeneration, checkConditions, checkInts(r.counts())}, r.checks...)
	for _, c := range checks {
		if err := c(status); err != nil {
			return err
		}
	}
	return nil
}

// checkObservedGeneration: kstatus reads observedGeneration as an integer when present.
func checkObservedGeneration(status map[string]any) error {
	v, ok := status["observedGeneration"]
	if !ok {
		return nil
	}
	if _, isInt := intValue(v); !isInt {
		return fmt.Errorf("status.observedGeneration is %s, want an integer", typeName(v))
	}
	return nil
}

// checkInts: the counts a rule reads are integers when present (null reads as absent).
func checkInts(fields []string) check {
	return func(status map[string]any) error {
		for _, f := range fields {
			if err := checkOptional(status, "status", f, "an integer", isInt); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkStrings: the string fields a rule reads are strings when present.
func checkStrings(fields ...string) check {
	return func(status map[string]any) error {
		for _, f := range fields {
			if err := checkOptional(status, "status", f, "a string", isString); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkOptional: m[field], at path, is absent, null or what ok accepts.
func checkOptional(m map[string]any, path, field, want string, ok func(any) bool) error {
	v, found := m[field]
	if !found || v == nil || ok(v) {
		return nil
	}
	return fmt.Errorf("%s.%s is %s, want %s", path, field, typeName(v), want)
}

func isInt(v any) bool {
	_, ok := intValue(v)
	return ok
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// checkConditions: status.conditions is a list of objects, each with a string type, and
// string status, reason, message and times when present (what kstatus and the merge read).
func checkConditions(status map[string]any) error {
	list, err := listAt(status, "status", "conditions")
	if err != nil {
		return err
	}
	for i, e := range list {
		path := fmt.Sprintf("status.conditions[%d]", i)
		c, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is %s, want an object", path, typeName(e))
		}
		if _, ok := c["type"].(string); !ok {
			return fmt.Errorf("%s.type is %s, want a string", path, typeName(c["type"]))
		}
		for _, f := range conditionStrings {
			if err := checkOptional(c, path, f, "a string", isString); err != nil {
				return err
			}
		}
	}
	return nil
}

// conditionStrings are the fields of a condition that are strings when present.
var conditionStrings = []string{"status", "reason", "message", "lastTransitionTime", "lastUpdateTime"}

// listAt reads an optional list field, at path (absent or null reads as empty).
func listAt(m map[string]any, path, field string) ([]any, error) {
	v, found := m[field]
	if !found || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.%s is %s, want a list", path, field, typeName(v))
	}
	return list, nil
}

// mapAt reads an optional object field, at path (absent or null reads as empty).
func mapAt(m map[string]any, path, field string) (map[string]any, error) {
	v, found := m[field]
	if !found || v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.%s is %s, want an object", path, field, typeName(v))
	}
	return obj, nil
}
