package summary

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
)

// pvcPhaseSeverity orders claim phases worst first among WECs of equal kstatus.
var pvcPhaseSeverity = map[string]int{"Lost": 3, "Pending": 2, "": 1, "Bound": 0}

// pvcQuantities are the resource lists of a claim's status summarized per resource.
var pvcQuantities = []string{"capacity", "allocatedResources"}

// pvcRule: the phase, access modes and the rest are the worst WEC's (Lost, then Pending, then
// Bound); capacity and allocatedResources are, per resource, the least any WEC reports, as
// that WEC wrote it.
var pvcRule = rule{
	checks: []check{checkStrings("phase"), checkQuantities},
	severity: func(status map[string]any) int {
		if sev, ok := pvcPhaseSeverity[stringAt(status, "phase")]; ok {
			return sev
		}
		return pvcPhaseSeverity["Pending"]
	},
	fields: func(s *set, out map[string]any) {
		for _, f := range pvcQuantities {
			if least := leastQuantities(s.wecs, f); len(least) > 0 {
				out[f] = least
			}
		}
	},
}

// leastQuantities is, per resource name, the least quantity over the WECs that report it.
func leastQuantities(ws []*wec, field string) map[string]any {
	out := map[string]any{}
	least := map[string]resource.Quantity{}
	for _, w := range ws {
		list, _ := w.status[field].(map[string]any)
		for name, v := range list {
			text, _ := v.(string)
			q, err := resource.ParseQuantity(text)
			if err != nil {
				continue
			}
			if cur, ok := least[name]; !ok || q.Cmp(cur) < 0 {
				least[name], out[name] = q, text
			}
		}
	}
	return out
}

// checkQuantities: capacity and allocatedResources are objects of quantity strings.
func checkQuantities(status map[string]any) error {
	for _, f := range pvcQuantities {
		list, err := mapAt(status, "status", f)
		if err != nil {
			return err
		}
		for name, v := range list {
			text, ok := v.(string)
			if !ok {
				return fmt.Errorf("status.%s.%s is %s, want a quantity string", f, name, typeName(v))
			}
			if _, err := resource.ParseQuantity(text); err != nil {
				return fmt.Errorf("status.%s.%s: %w", f, name, err)
			}
		}
	}
	return nil
}
