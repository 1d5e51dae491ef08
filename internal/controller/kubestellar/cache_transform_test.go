package kubestellar

import (
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestSlimWDSObject(t *testing.T) {
	g := NewWithT(t)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"spec": map[string]any{
			"replicas": int64(3), "strategy": map[string]any{"type": "Recreate"},
			"template": map[string]any{"spec": map[string]any{"containers": []any{}}},
		},
		"status": map[string]any{"readyReplicas": int64(3)},
	}}
	u.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status"},
		{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status",
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:conditions":{"k:{\"type\":\"Available\"}":{"f:status":{}}},"f:replicas":{}}}`)},
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply},
	})
	u.SetAnnotations(map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": "{...}", AnnotationWECStatus: "wec1=Current",
		AnnotationReportingWECs: "1",
	})
	u.SetLabels(map[string]string{"app": "web"})
	out, err := slimWDSObject(u)
	g.Expect(err).NotTo(HaveOccurred())
	slim := out.(*unstructured.Unstructured)
	g.Expect(slim.GetManagedFields()).To(ConsistOf(HaveField("Manager", FieldManager)))
	g.Expect(slim.GetManagedFields()[0].FieldsV1.GetRawString()).To(MatchJSON(`{"f:status":{"f:conditions":{},"f:replicas":{}}}`),
		"the operator's entry keeps the top-level status fields, not what lies under them")
	g.Expect(slim.GetAnnotations()).To(Equal(map[string]string{AnnotationWECStatus: "wec1=Current",
		AnnotationReportingWECs: "1"}))
	g.Expect(slim.GetLabels()).To(Equal(map[string]string{"app": "web"}))
	g.Expect(slim.Object["spec"]).To(Equal(map[string]any{
		"replicas": int64(3), "strategy": map[string]any{"type": "Recreate"},
	}))
	g.Expect(slim.Object["status"]).To(Equal(map[string]any{"readyReplicas": int64(3)}))

	u.SetAnnotations(map[string]string{"other": "x"})
	out, _ = slimWDSObject(u)
	g.Expect(out.(*unstructured.Unstructured).GetAnnotations()).To(BeEmpty())

	_, err = slimWDSObject("not an object")
	g.Expect(err).NotTo(HaveOccurred())
}

// BenchmarkSlimWDSObject measures the transform on a Deployment as a watch event brings it: the
// managedFields of the controller-manager, kubectl and the operator, a pod template.
func BenchmarkSlimWDSObject(b *testing.B) {
	entry := func(manager, sub, fields string) map[string]any {
		return map[string]any{"manager": manager, "operation": "Update", "apiVersion": "apps/v1",
			"time": "2026-12-06T10:00:00Z", "fieldsType": "FieldsV1", "subresource": sub,
			"fieldsV1": map[string]any{fields: map[string]any{"f:replicas": map[string]any{},
				"f:conditions": map[string]any{`k:{"type":"Available"}`: map[string]any{
					"f:status": map[string]any{}, "f:reason": map[string]any{}, "f:message": map[string]any{}}}}}}
	}
	fresh := func() *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "namespace": "default", "managedFields": []any{
				entry("kubectl-client-side-apply", "", "f:spec"),
				entry("kube-controller-manager", "status", "f:status"),
				entry("kube-controller-manager", "", "f:metadata"),
				entry(FieldManager, "status", "f:status"),
			}},
			"spec": map[string]any{"replicas": int64(1),
				"template": map[string]any{"spec": map[string]any{"containers": []any{}}}},
			"status": map[string]any{"readyReplicas": int64(1)},
		}}
	}
	objs := make([]*unstructured.Unstructured, b.N)
	for i := range objs {
		objs[i] = fresh()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := slimWDSObject(objs[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// The cache's trim of a decoded fieldsV1 set keeps what the trim of its raw form keeps.
func TestTrimFieldsMapAgreesWithTrimFields(t *testing.T) {
	for _, raw := range []string{
		`{}`,
		`{"f:status":{".":{},"f:conditions":{"k:{\"type\":\"Available\"}":{"f:status":{}}},"f:replicas":{}}}`,
		`{"f:metadata":{"f:labels":{"f:kubestellar.io/executing-count":{}},"f:annotations":{"f:a":{}},"f:name":{}},"f:spec":{"f:replicas":{}}}`,
		`{"f:metadata":{"f:finalizers":{}},"f:status":{}}`,
		`{"f:status":{"f:x":{"f:y":{}}},"f:metadata":{"f:labels":{}}}`,
	} {
		var fields map[string]any
		if err := json.Unmarshal([]byte(raw), &fields); err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(trimFieldsMap(fields))
		if err != nil {
			t.Fatal(err)
		}
		NewWithT(t).Expect(got).To(MatchJSON(trimFields([]byte(raw))), raw)
	}
}
