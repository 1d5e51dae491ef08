package summary

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The counts the replica workloads share.
const (
	readyReplicas     = "readyReplicas"
	availableReplicas = "availableReplicas"
	updatedReplicas   = "updatedReplicas"
)

// minCount is the least value of field over the WECs, a WEC without it counting 0 (as kstatus
// reads it); found is false when no WEC reports the field.
func minCount(ws []*wec, field string) (least int64, found bool) {
	return foldCount(ws, field, func(a, b int64) bool { return a < b })
}

// maxCount is the greatest value of field over the WECs, like minCount.
func maxCount(ws []*wec, field string) (most int64, found bool) {
	return foldCount(ws, field, func(a, b int64) bool { return a > b })
}

func foldCount(ws []*wec, field string, better func(a, b int64) bool) (v int64, found bool) {
	for i, w := range ws {
		n, ok := count(w.status, field)
		found = found || ok
		if i == 0 || better(n, v) {
			v = n
		}
	}
	return v, found
}

// setMin writes each field's least value over the WECs.
func (s *set) setMin(out map[string]any, fields ...string) {
	for _, f := range fields {
		v, found := minCount(s.wecs, f)
		put(out, f, v, found)
	}
}

// setMax writes each field's greatest value over the WECs (counts where more is worse).
func (s *set) setMax(out map[string]any, fields ...string) {
	for _, f := range fields {
		v, found := maxCount(s.wecs, f)
		put(out, f, v, found)
	}
}

// setReplicas writes a count that is wrong both below and above target (status.replicas
// against spec.replicas): the least when some WEC is short, else the greatest, so that a WEC
// with pods still to go or still to terminate shows.
func (s *set) setReplicas(out map[string]any, field string, target int64) {
	v, found := minCount(s.wecs, field)
	if v >= target {
		v, _ = maxCount(s.wecs, field)
	}
	put(out, field, v, found)
}

// put writes v as field, or removes field when no WEC reports it.
func put(out map[string]any, field string, v int64, found bool) {
	if !found {
		delete(out, field)
		return
	}
	out[field] = v
}

// specReplicas is obj's spec.replicas, 1 when unset (as the controllers and kstatus read it).
func specReplicas(obj *unstructured.Unstructured) int64 {
	v, found, err := unstructured.NestedFieldNoCopy(obj.Object, "spec", "replicas")
	if n, ok := intValue(v); found && err == nil && ok {
		return n
	}
	return 1
}
