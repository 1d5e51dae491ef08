package summary

import "fmt"

// podPhaseSeverity orders pod phases worst first among WECs of equal kstatus: Failed, Unknown,
// Pending, not yet observed, Running, Succeeded.
var podPhaseSeverity = map[string]int{
	"Failed": 5, "Unknown": 4, "Pending": 3, "": 2, "Running": 1, "Succeeded": 0,
}

// podRule: a pod's record (phase, containerStatuses, IPs, times) is one real pod's: the worst
// WEC's, since container records do not add up across clusters. Conditions are merged over
// the WECs in the same phase as that pod, so that Ready says whether the pods in that phase
// are ready (a pod that has Succeeded elsewhere is not "not ready").
var podRule = rule{
	checks: []check{checkStrings("phase"), checkContainerStatuses},
	severity: func(status map[string]any) int {
		if sev, ok := podPhaseSeverity[stringAt(status, "phase")]; ok {
			return sev
		}
		return podPhaseSeverity["Unknown"]
	},
	voters: func(s *set) []*wec {
		phase := stringAt(s.base().status, "phase")
		var out []*wec
		for _, w := range s.wecs {
			if stringAt(w.status, "phase") == phase {
				out = append(out, w)
			}
		}
		return out
	},
}

// checkContainerStatuses: the shape kstatus reads without checking (it would panic):
// a list of objects whose name, state, state.waiting and state.waiting.reason are a string,
// objects and a string.
func checkContainerStatuses(status map[string]any) error {
	list, err := listAt(status, "status", "containerStatuses")
	if err != nil {
		return err
	}
	for i, e := range list {
		if err := checkContainerStatus(fmt.Sprintf("status.containerStatuses[%d]", i), e); err != nil {
			return err
		}
	}
	return nil
}

func checkContainerStatus(path string, e any) error {
	cs, ok := e.(map[string]any)
	if !ok {
		return fmt.Errorf("%s is %s, want an object", path, typeName(e))
	}
	if err := checkPresent(cs, path, "name", "a string", isString); err != nil {
		return err
	}
	if err := checkPresent(cs, path, "state", "an object", isObject); err != nil {
		return err
	}
	state, _ := cs["state"].(map[string]any)
	if err := checkPresent(state, path+".state", "waiting", "an object", isObject); err != nil {
		return err
	}
	waiting, _ := state["waiting"].(map[string]any)
	return checkPresent(waiting, path+".state.waiting", "reason", "a string", isString)
}

// checkPresent: m[field], at path, is absent or what ok accepts (null is not).
func checkPresent(m map[string]any, path, field, want string, ok func(any) bool) error {
	v, found := m[field]
	if !found || ok(v) {
		return nil
	}
	return fmt.Errorf("%s.%s is %s, want %s", path, field, typeName(v), want)
}

func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}
