package summary

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Summarize turns the reports of the qualified WECs (any order) into the status for obj in the
// WDS and each WEC's health, sorted by WEC name.
func Summarize(obj *unstructured.Unstructured, reports []Report) (Result, error) {
	sorted := slices.Clone(reports)
	slices.SortFunc(sorted, func(a, b Report) int { return strings.Compare(a.WEC, b.WEC) })
	res := Result{WECs: make([]Health, 0, len(sorted))}
	worst := -1
	for i, r := range sorted {
		h := HealthOf(obj, r)
		res.WECs = append(res.WECs, h)
		if worst < 0 || rank(h.Status) > rank(res.WECs[worst].Status) {
			worst = i
		}
	}
	if worst >= 0 && sorted[worst].Status != nil {
		res.Status = runtime.DeepCopyJSON(sorted[worst].Status)
	}
	return res, nil
}

// rank orders kstatus statuses from best to worst.
func rank(s string) int {
	switch s {
	case "Current":
		return 0
	case "InProgress":
		return 2
	case "Failed":
		return 3
	default:
		return 1
	}
}
