package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestOwnedBy(t *testing.T) {
	entry := func(manager, sub, fields string, op metav1.ManagedFieldsOperationType) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Subresource: sub, Operation: op,
			FieldsV1: metav1.NewFieldsV1(fields)}
	}
	apply, update := metav1.ManagedFieldsOperationApply, metav1.ManagedFieldsOperationUpdate
	for _, tc := range []struct {
		name    string
		entries []metav1.ManagedFieldsEntry
		want    owned
	}{
		{"nothing", nil, owned{}},
		{"labels and annotation of the object", []metav1.ManagedFieldsEntry{
			entry(FieldManager, "", `{"f:metadata":{"f:labels":{"f:kubestellar.io/executing-count":{}},"f:annotations":{"f:a":{}}}}`, apply),
		}, owned{Labels: map[string]bool{LabelExecutingCount: true}, Annotations: map[string]bool{"a": true}}},
		{"status through the subresource", []metav1.ManagedFieldsEntry{
			entry(FieldManager, "status", `{"f:status":{"f:replicas":{}}}`, apply),
		}, owned{Status: map[string]bool{"replicas": true}}},
		{"status with the object", []metav1.ManagedFieldsEntry{
			entry(FieldManager, "", `{"f:status":{"f:phase":{}}}`, apply),
		}, owned{MainStatus: map[string]bool{"phase": true}}},
		{"nested status fields and list items", []metav1.ManagedFieldsEntry{
			entry(FieldManager, "status", `{"f:status":{".":{},"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},"f:status":{}}},"f:replicas":{}}}`, update),
		}, owned{Status: map[string]bool{"conditions": true, "replicas": true}}},
		{"patches and applies both count", []metav1.ManagedFieldsEntry{
			entry(FieldManager, "status", `{"f:status":{"f:replicas":{},".":{}}}`, update),
			entry(FieldManager, "status", `{"f:status":{"f:conditions":{}}}`, apply),
			entry(FieldManager, "", `{"f:metadata":{"f:labels":{"f:a":{}}}}`, update),
		}, owned{Status: map[string]bool{"replicas": true, "conditions": true}, Labels: map[string]bool{"a": true}}},
		{"other managers do not count", []metav1.ManagedFieldsEntry{
			entry("kubectl", "", `{"f:metadata":{"f:labels":{"f:x":{}}}}`, apply),
			entry("kube-controller-manager", "status", `{"f:status":{"f:replicas":{}}}`, update),
		}, owned{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(ownedBy(tc.entries, FieldManager)).To(Equal(tc.want))
			// What the cache keeps of the entries says the same.
			trimmed := make([]metav1.ManagedFieldsEntry, len(tc.entries))
			for i, e := range tc.entries {
				e.FieldsV1 = metav1.NewFieldsV1(string(trimFields(e.FieldsV1.GetRawBytes())))
				trimmed[i] = e
			}
			g.Expect(ownedBy(trimmed, FieldManager)).To(Equal(tc.want))
		})
	}
}
