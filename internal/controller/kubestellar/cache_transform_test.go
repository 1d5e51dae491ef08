package kubestellar

import (
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
