package kubestellar

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
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
			g.Expect(ownedBy(entriesOf(t, tc.entries), FieldManager)).To(Equal(tc.want))
			// What the cache keeps of the entries says the same.
			trimmed := make([]metav1.ManagedFieldsEntry, len(tc.entries))
			for i, e := range tc.entries {
				e.FieldsV1 = metav1.NewFieldsV1(string(trimFields(e.FieldsV1.GetRawBytes())))
				trimmed[i] = e
			}
			g.Expect(ownedBy(entriesOf(t, trimmed), FieldManager)).To(Equal(tc.want))
			u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{}}}
			u.SetManagedFields(tc.entries)
			keepOwnManagedFieldsOf(u)
			g.Expect(ownedBy(fieldsEntries(u), FieldManager)).To(Equal(tc.want), "as the cache's transform keeps them")
		})
	}
}

// entriesOf are typed managedFields entries as fieldsEntries reads them from an object's map,
// where the API server's JSON puts them.
func entriesOf(t *testing.T, typed []metav1.ManagedFieldsEntry) []fieldsEntry {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&metav1.PartialObjectMetadata{
		ObjectMeta: metav1.ObjectMeta{ManagedFields: typed}})
	if err != nil {
		t.Fatal(err)
	}
	return fieldsEntries(&unstructured.Unstructured{Object: m})
}

// TestFieldsEntries: the entries read from an object's map are the operator's and KubeStellar's
// status controller's, with their subresource, time and fields; an entry of another shape is
// read without what does not parse.
func TestFieldsEntries(t *testing.T) {
	g := NewWithT(t)
	t0 := metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	got := entriesOf(t, []metav1.ManagedFieldsEntry{
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, Time: &t0,
			FieldsV1: metav1.NewFieldsV1(`{"f:spec":{}}`)},
		{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &t0,
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:replicas":{}}}`)},
		{Manager: KubeStellarStatusManager, Operation: metav1.ManagedFieldsOperationUpdate},
	})
	g.Expect(got).To(Equal([]fieldsEntry{
		{Manager: FieldManager, Subresource: "status", Time: t0.Time,
			Fields: map[string]any{"f:status": map[string]any{"f:replicas": map[string]any{}}}},
		{Manager: KubeStellarStatusManager},
	}))
	odd := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"managedFields": []any{
		"not an entry",
		map[string]any{"manager": FieldManager, "time": "yesterday", "fieldsV1": "not a set"},
	}}}}
	g.Expect(fieldsEntries(odd)).To(Equal([]fieldsEntry{{Manager: FieldManager}}))
	g.Expect(ownedBy(fieldsEntries(odd), FieldManager)).To(Equal(owned{}))
}
