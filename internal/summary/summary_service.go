package summary

import (
	"cmp"
	"fmt"
	"slices"
)

// serviceRule: status.loadBalancer.ingress is every WEC's ingress points, without duplicates
// (same ip and hostname: the worst WEC's entry), sorted by ip then hostname. Service
// conditions are merged like any others.
var serviceRule = rule{
	checks: []check{checkIngress},
	fields: func(s *set, out map[string]any) {
		ingress := unionIngress(s.wecs)
		if len(ingress) == 0 {
			return
		}
		lb, _ := out["loadBalancer"].(map[string]any)
		if lb == nil {
			lb = map[string]any{}
			out["loadBalancer"] = lb
		}
		lb["ingress"] = ingress
	},
}

// unionIngress collects the WECs' ingress points, deduplicated and sorted.
func unionIngress(ws []*wec) []any {
	var out []any
	seen := map[string]bool{}
	for _, w := range ws {
		for _, e := range ingressOf(w.status) {
			point, _ := e.(map[string]any)
			if key := ingressKey(point); !seen[key] {
				seen[key] = true
				out = append(out, deepCopy(point))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b any) int {
		pa, _ := a.(map[string]any)
		pb, _ := b.(map[string]any)
		return cmp.Or(cmp.Compare(stringAt(pa, "ip"), stringAt(pb, "ip")),
			cmp.Compare(stringAt(pa, "hostname"), stringAt(pb, "hostname")))
	})
	return out
}

func ingressKey(point map[string]any) string {
	return stringAt(point, "ip") + "\x00" + stringAt(point, "hostname")
}

func ingressOf(status map[string]any) []any {
	lb, _ := status["loadBalancer"].(map[string]any)
	list, _ := lb["ingress"].([]any)
	return list
}

// checkIngress: loadBalancer is an object, its ingress a list of objects with string ip and
// hostname.
func checkIngress(status map[string]any) error {
	lb, err := mapAt(status, "status", "loadBalancer")
	if err != nil {
		return err
	}
	list, err := listAt(lb, "status.loadBalancer", "ingress")
	if err != nil {
		return err
	}
	for i, e := range list {
		path := fmt.Sprintf("status.loadBalancer.ingress[%d]", i)
		point, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is %s, want an object", path, typeName(e))
		}
		for _, f := range []string{"ip", "hostname"} {
			if err := checkOptional(point, path, f, "a string", isString); err != nil {
				return err
			}
		}
	}
	return nil
}
