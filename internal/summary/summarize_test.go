package summary

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestSummarizeIsDeterministic(t *testing.T) {
	// The same reports in every order give the same result; seeded cases of every kind.
	rng := &gen{Rand: rand.New(rand.NewPCG(7, 7))}
	for _, gn := range generators {
		t.Run(gn.name, func(t *testing.T) {
			g := NewWithT(t)
			for range 50 {
				obj, reports := gn.gen(rng)
				want, err := Summarize(obj, reports)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(slices.IsSortedFunc(want.WECs, func(a, b Health) int { return cmp.Compare(a.WEC, b.WEC) })).To(BeTrue())
				for range 3 {
					shuffled := slices.Clone(reports)
					rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
					g.Expect(Summarize(obj, shuffled)).To(Equal(want))
				}
			}
		})
	}
}

func TestSummarizeLeavesItsInputAlone(t *testing.T) {
	g := NewWithT(t)
	obj := deployment(3)
	a, b := deploymentReady(3), deploymentReady(2)
	objBefore, aBefore, bBefore := obj.DeepCopy(), deepCopyMap(a), deepCopyMap(b)
	res, err := Summarize(obj, []Report{report("a", a), report("b", b)})
	g.Expect(err).NotTo(HaveOccurred())
	res.Status["conditions"].([]any)[1].(map[string]any)["status"] = "changed"
	g.Expect(obj).To(Equal(objBefore))
	g.Expect(a).To(Equal(aBefore))
	g.Expect(b).To(Equal(bBefore))
}

func TestSummarizeEdges(t *testing.T) {
	t.Run("no reports: no status", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(deployment(1), nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(BeNil())
		g.Expect(res.WECs).To(BeEmpty())
	})
	t.Run("a WEC that has reported nothing yet counts as an empty status", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(deployment(1), []Report{report("a", deploymentReady(1)), report("b", nil)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(HaveKeyWithValue("readyReplicas", int64(0)))
		g.Expect(res.WECs[1]).To(Equal(Health{WEC: "b", Status: "InProgress", Message: "Replicas: 0/1"}))
	})
	t.Run("a terminating object is Terminating in every WEC", func(t *testing.T) {
		g := NewWithT(t)
		obj := deployment(1)
		deleted := metav1.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		obj.SetDeletionTimestamp(&deleted)
		res, err := Summarize(obj, []Report{report("a", deploymentReady(1)), report("b", deploymentReady(0))})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.WECs[0].Status).To(Equal("Terminating"))
		st, _ := kstatusOf(withStatus(obj, res.Status))
		g.Expect(st).To(Equal("Terminating"))
	})
	t.Run("a pod in phase Unknown: kstatus cannot read it, Unknown ranks below InProgress", func(t *testing.T) {
		g := NewWithT(t)
		pod := object("v1", "Pod", 1, nil)
		res, err := Summarize(pod, []Report{report("a", map[string]any{"phase": "Unknown"}),
			report("b", map[string]any{"phase": "Succeeded"})})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(HaveKeyWithValue("phase", "Unknown"))
		g.Expect(res.WECs[0]).To(Equal(Health{WEC: "a", Status: "Unknown", Message: "kstatus cannot read the status: unknown phase Unknown"}))
		res, err = Summarize(pod, []Report{report("a", map[string]any{"phase": "Unknown"}), report("b", map[string]any{"phase": "Pending"})})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(HaveKeyWithValue("phase", "Pending"))
	})
}

func TestMalformedReports(t *testing.T) {
	tests := []struct {
		name    string
		obj     *unstructured.Unstructured
		status  map[string]any
		wantErr string
	}{
		{"conditions not a list", deployment(1), map[string]any{"conditions": "Available"},
			`WEC "bad": status.conditions is a string, want a list`},
		{"a condition not an object", deployment(1), map[string]any{"conditions": []any{"Available"}},
			`WEC "bad": status.conditions[0] is a string, want an object`},
		{"a condition without a type", deployment(1), map[string]any{"conditions": []any{map[string]any{"status": "True"}}},
			`WEC "bad": status.conditions[0].type is null, want a string`},
		{"a condition status that is a boolean", deployment(1), map[string]any{"conditions": []any{map[string]any{"type": "Available", "status": true}}},
			`WEC "bad": status.conditions[0].status is a boolean, want a string`},
		{"a count that is a string", deployment(1), map[string]any{"readyReplicas": "3"},
			`WEC "bad": status.readyReplicas is a string, want an integer`},
		{"a count that is a fraction", deployment(1), map[string]any{"replicas": 2.5},
			`WEC "bad": status.replicas is a non-integer number, want an integer`},
		{"observedGeneration null", deployment(1), map[string]any{"observedGeneration": nil},
			`WEC "bad": status.observedGeneration is null, want an integer`},
		{"container statuses kstatus would panic on", object("v1", "Pod", 1, nil),
			map[string]any{"phase": "Running", "containerStatuses": []any{map[string]any{"name": "c", "state": "waiting"}}},
			`WEC "bad": status.containerStatuses[0].state is a string, want an object`},
		{"a waiting reason that is a number", object("v1", "Pod", 1, nil),
			map[string]any{"containerStatuses": []any{map[string]any{"state": map[string]any{"waiting": map[string]any{"reason": int64(1)}}}}},
			`WEC "bad": status.containerStatuses[0].state.waiting.reason is an integer, want a string`},
		{"load balancer ingress not a list", object("v1", "Service", 1, nil),
			map[string]any{"loadBalancer": map[string]any{"ingress": "192.0.2.1"}},
			`WEC "bad": status.loadBalancer.ingress is a string, want a list`},
		{"a capacity that is not a quantity", object("v1", "PersistentVolumeClaim", 1, nil),
			map[string]any{"capacity": map[string]any{"storage": "lots"}},
			`WEC "bad": status.capacity.storage: quantities must match the regular expression`},
		{"a start time that is a number", object("batch/v1", "Job", 1, nil), map[string]any{"startTime": int64(5)},
			`WEC "bad": status.startTime is an integer, want a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Summarize(tt.obj, []Report{report("good", map[string]any{}), report("bad", tt.status)})
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
			var re *ReportError
			g.Expect(errors.As(err, &re)).To(BeTrue())
			g.Expect(re.WEC).To(Equal("bad"))

			h := HealthOf(tt.obj, report("bad", tt.status))
			g.Expect(h.Status).To(Equal("Unknown"))
			g.Expect(h.Message).To(ContainSubstring(re.Err.Error()))
		})
	}
}

func TestMalformedCalls(t *testing.T) {
	g := NewWithT(t)
	_, err := Summarize(deployment(1), []Report{report("a", nil), report("a", nil)})
	g.Expect(err).To(MatchError(`WEC "a": reported twice`))

	_, err = Summarize(nil, []Report{report("a", nil)})
	g.Expect(err).To(MatchError("no object to summarize"))
	g.Expect(HealthOf(nil, report("a", nil)).Status).To(Equal("Unknown"))

	obj := deployment(1)
	obj.Object["metadata"].(map[string]any)["generation"] = "two"
	_, err = Summarize(obj, []Report{report("a", nil)})
	g.Expect(err).To(MatchError(ContainSubstring("object app: metadata.generation")))
}
