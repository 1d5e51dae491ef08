package kubestellar

import (
	"testing"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/singleton-operator/singleton-operator/internal/combinedstatus"
)

func combinedTestObject(namespace string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("apps/v1")
	obj.SetKind("Deployment")
	obj.SetNamespace(namespace)
	obj.SetName("web")
	obj.SetUID("obj-uid")
	return obj
}

func countCollector(t *testing.T, name string) *combinedstatus.Collector {
	t.Helper()
	c, errs := combinedstatus.Compile(name, &controlv1alpha1.StatusCollectorSpec{
		CombinedFields: []controlv1alpha1.NamedAggregator{{Name: "n", Type: controlv1alpha1.AggregatorTypeCount}},
	})
	if errs != nil {
		t.Fatal(errs)
	}
	return c
}

func TestDecideCombined(t *testing.T) {
	ref := objectRef{Group: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}
	reports := []combinedstatus.Report{{WEC: "wec1"}, {WEC: "wec2"}}
	binding := func(collectors ...*combinedstatus.Collector) combinedBinding {
		return combinedBinding{Name: "bp", PolicyUID: "bp-uid", Collectors: collectors, Reports: reports}
	}
	current := desiredCombined(ref, combinedTestObject("shop"), binding(countCollector(t, "b"), countCollector(t, "a")))
	current.ResourceVersion = "7"
	stale := current.DeepCopy()
	n := "1"
	stale.Results[0].Rows[0].Columns[0].Number = &n
	other := current.DeepCopy()
	other.Name = "old-uid.bp-uid"

	cases := []struct {
		name          string
		facts         combinedFacts
		write, delete []string // names; writes prefixed "+" for a create, "~" for an update
	}{
		{"new pair: created", combinedFacts{Ref: ref, Object: combinedTestObject("shop"), Bindings: []combinedBinding{binding(countCollector(t, "a"))}}, []string{"+obj-uid.bp-uid"}, nil},
		{"unchanged: nothing written", combinedFacts{Ref: ref, Object: combinedTestObject("shop"), Bindings: []combinedBinding{binding(countCollector(t, "a"), countCollector(t, "b"))}, Existing: []*controlv1alpha1.CombinedStatus{current}}, nil, nil},
		{"changed: updated", combinedFacts{Ref: ref, Object: combinedTestObject("shop"), Bindings: []combinedBinding{binding(countCollector(t, "a"), countCollector(t, "b"))}, Existing: []*controlv1alpha1.CombinedStatus{stale}}, []string{"~obj-uid.bp-uid"}, nil},
		{"object gone: deleted", combinedFacts{Ref: ref, Bindings: []combinedBinding{binding(countCollector(t, "a"))}, Existing: []*controlv1alpha1.CombinedStatus{current}}, nil, []string{"obj-uid.bp-uid"}},
		{"policy gone: deleted", combinedFacts{Ref: ref, Object: combinedTestObject("shop"), Bindings: []combinedBinding{{Name: "bp", Collectors: []*combinedstatus.Collector{countCollector(t, "a")}}}, Existing: []*controlv1alpha1.CombinedStatus{current}}, nil, []string{"obj-uid.bp-uid"}},
		{"every collector gone: deleted", combinedFacts{Ref: ref, Object: combinedTestObject("shop"), Bindings: []combinedBinding{binding()}, Existing: []*controlv1alpha1.CombinedStatus{current}}, nil, []string{"obj-uid.bp-uid"}},
		{"object replaced: the old UID's deleted, the new one's created", combinedFacts{Ref: ref, Object: combinedTestObject("shop"), Bindings: []combinedBinding{binding(countCollector(t, "a"), countCollector(t, "b"))}, Existing: []*controlv1alpha1.CombinedStatus{other}}, []string{"+obj-uid.bp-uid"}, []string{"old-uid.bp-uid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := decideCombined(tc.facts)
			var writes, deletes []string
			for _, cs := range p.Write {
				op := "+"
				if cs.ResourceVersion != "" {
					op = "~"
				}
				writes = append(writes, op+cs.Name)
			}
			for _, cs := range p.Delete {
				deletes = append(deletes, cs.Name)
			}
			if !equalStrings(writes, tc.write) || !equalStrings(deletes, tc.delete) {
				t.Fatalf("writes %v deletes %v, want %v %v", writes, deletes, tc.write, tc.delete)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A CombinedStatus is named, labeled, placed and owned as KubeStellar's API says, its results
// ordered by collector name.
func TestDesiredCombinedShape(t *testing.T) {
	ref := objectRef{Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "reader"}
	obj := combinedTestObject("")
	obj.SetAPIVersion("rbac.authorization.k8s.io/v1")
	obj.SetKind("ClusterRole")
	obj.SetName("reader")
	cs := desiredCombined(ref, obj, combinedBinding{Name: "bp", PolicyUID: "bp-uid",
		Collectors: []*combinedstatus.Collector{countCollector(t, "z"), countCollector(t, "a")}})
	if cs.Namespace != "kubestellar-report" || cs.Name != "obj-uid.bp-uid" {
		t.Errorf("placed at %s/%s", cs.Namespace, cs.Name)
	}
	want := map[string]string{
		"status.kubestellar.io/api-group": "rbac.authorization.k8s.io", "status.kubestellar.io/resource": "clusterroles",
		"status.kubestellar.io/namespace": "", "status.kubestellar.io/name": "reader", "status.kubestellar.io/binding-policy": "bp",
	}
	if len(cs.Labels) != len(want) {
		t.Errorf("labels %v", cs.Labels)
	}
	for k, v := range want {
		if got, ok := cs.Labels[k]; !ok || got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	if o := cs.OwnerReferences; len(o) != 1 || o[0] != (metav1.OwnerReference{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "reader", UID: "obj-uid"}) {
		t.Errorf("owners %v", o)
	}
	if len(cs.Results) != 2 || cs.Results[0].Name != "a" || cs.Results[1].Name != "z" {
		t.Errorf("results %v", cs.Results)
	}
}
