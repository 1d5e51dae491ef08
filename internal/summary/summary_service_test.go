package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestServiceSummary(t *testing.T) {
	svc := object("v1", "Service", 1, map[string]any{"type": "LoadBalancer", "clusterIP": "10.96.0.10"})
	lb := func(points ...map[string]any) map[string]any {
		ingress := make([]any, len(points))
		for i, p := range points {
			ingress[i] = p
		}
		return map[string]any{"loadBalancer": map[string]any{"ingress": ingress}}
	}
	ip := func(s string) map[string]any { return map[string]any{"ip": s, "ipMode": "VIP"} }
	host := map[string]any{"hostname": "lb.example.com"}

	tests := []struct {
		name    string
		reports []Report
		want    map[string]any
	}{
		{"no load balancer anywhere", []Report{report("a", map[string]any{"loadBalancer": map[string]any{}}), report("b", nil)},
			map[string]any{"loadBalancer": map[string]any{}}},
		{"every WEC's points, once each, sorted",
			[]Report{report("b", lb(ip("192.0.2.9"), host)), report("a", lb(ip("192.0.2.1"), ip("192.0.2.9")))},
			lb(host, ip("192.0.2.1"), ip("192.0.2.9"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Summarize(svc, tt.reports)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(tt.want))
		})
	}
}
