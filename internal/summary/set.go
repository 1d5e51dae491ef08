package summary

import (
	"cmp"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// wec is one WEC's report with its kstatus.
type wec struct {
	name     string
	status   map[string]any
	health   Health
	severity int
}

// set is what a summary is made from: the WDS object, its rule, and the WECs' reports ordered
// worst first (kstatus rank, then the rule's severity, then name).
type set struct {
	obj  *unstructured.Unstructured
	rule *rule
	wecs []*wec
}

// newSet checks every report, computes its health and orders the WECs worst first.
func newSet(obj *unstructured.Unstructured, r *rule, reports []Report) (*set, error) {
	s := &set{obj: obj, rule: r, wecs: make([]*wec, 0, len(reports))}
	seen := make(map[string]bool, len(reports))
	for _, rep := range reports {
		if seen[rep.WEC] {
			return nil, &ReportError{WEC: rep.WEC, Err: fmt.Errorf("reported twice")}
		}
		seen[rep.WEC] = true
		if err := checkStatus(r, rep.Status); err != nil {
			return nil, &ReportError{WEC: rep.WEC, Err: err}
		}
		s.wecs = append(s.wecs, s.newWEC(rep))
	}
	slices.SortFunc(s.wecs, worstFirst)
	return s, nil
}

func (s *set) newWEC(rep Report) *wec {
	w := &wec{name: rep.WEC, status: rep.Status, health: compute(s.obj, rep)}
	if w.status == nil {
		w.status = map[string]any{}
	}
	if s.rule.severity != nil {
		w.severity = s.rule.severity(w.status)
	}
	return w
}

// worstFirst orders by kstatus rank, then severity (both descending), then name.
func worstFirst(a, b *wec) int {
	if c := cmp.Compare(rank(b.health.Status), rank(a.health.Status)); c != 0 {
		return c
	}
	if c := cmp.Compare(b.severity, a.severity); c != 0 {
		return c
	}
	return cmp.Compare(a.name, b.name)
}

// base is the worst WEC: its status is where the summary starts.
func (s *set) base() *wec {
	return s.wecs[0]
}

// worst is the worst kstatus of the WECs.
func (s *set) worst() string {
	return s.base().health.Status
}

// health lists each WEC's health sorted by WEC name.
func (s *set) health() []Health {
	out := make([]Health, 0, len(s.wecs))
	for _, w := range s.wecs {
		out = append(out, w.health)
	}
	slices.SortFunc(out, func(a, b Health) int { return cmp.Compare(a.WEC, b.WEC) })
	return out
}

// withHealth lists the WECs whose kstatus is status, in the set's order.
func (s *set) withHealth(status string) []*wec {
	var out []*wec
	for _, w := range s.wecs {
		if w.health.Status == status {
			out = append(out, w)
		}
	}
	return out
}
