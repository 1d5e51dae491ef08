package reportedstate

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestKeepOwnManagedFields(t *testing.T) {
	g := NewWithT(t)
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}}
	u.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status"},
		{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply, Subresource: "status"},
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply},
	})
	out, err := keepOwnManagedFields(u)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.(*unstructured.Unstructured).GetManagedFields()).To(ConsistOf(
		HaveField("Manager", FieldManager)))

	_, err = keepOwnManagedFields("not an object")
	g.Expect(err).NotTo(HaveOccurred())
}
