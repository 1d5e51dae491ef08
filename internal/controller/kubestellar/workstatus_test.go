package kubestellar

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func ws(src SourceRef, status string) *WorkStatus {
	w := &WorkStatus{Spec: WorkStatusSpec{SourceRef: src}}
	if status != "" {
		w.Status = &runtime.RawExtension{Raw: []byte(status)}
	}
	return w
}

func TestValidateWorkStatus(t *testing.T) {
	good := SourceRef{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespace: "ns", Name: "web"}
	known := func(gr schema.GroupResource) bool { return gr.Resource == "deployments" }
	for _, tc := range []struct {
		name string
		ws   *WorkStatus
		want error
	}{
		{"valid", ws(good, `{"replicas":1}`), nil},
		{"no status yet", ws(good, ""), nil},
		{"null status", ws(good, "null"), nil},
		{"missing name", ws(SourceRef{Version: "v1", Resource: "deployments"}, `{}`), errMissingSourceRef},
		{"missing resource", ws(SourceRef{Version: "v1", Name: "x"}, `{}`), errMissingSourceRef},
		{"status is a string", ws(good, `"Running"`), errStatusNotObject},
		{"status is a list", ws(good, ` [1]`), errStatusNotObject},
		{"status too large", ws(good, `{"x":"`+strings.Repeat("x", 100)+`"}`), errStatusTooLarge},
		{"unknown resource", ws(SourceRef{Version: "v1", Resource: "gizmos", Name: "g"}, `{}`), errUnknownResource},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			err := validateWorkStatus(tc.ws, 64, known)
			if tc.want == nil {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(tc.want))
		})
	}
}

func TestWrittenTime(t *testing.T) {
	received := time.Date(2026, 1, 1, 12, 0, 10, 500_000_000, time.UTC)
	// The entries as the addon's agent leaves them: its create (spec, statusDetails), its status
	// write (subresource status), its label patch.
	entry := func(d time.Duration, sub, fields string) metav1.ManagedFieldsEntry {
		tm := metav1.NewTime(received.Add(d).Truncate(time.Second))
		return metav1.ManagedFieldsEntry{Manager: "status-agent", Operation: metav1.ManagedFieldsOperationUpdate,
			Subresource: sub, Time: &tm, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
	}
	const (
		created = `{"f:metadata":{"f:labels":{".":{},"f:transport.kubestellar.io/originWdsName":{}}},` +
			`"f:spec":{".":{},"f:sourceRef":{}},"f:statusDetails":{".":{},"f:lastGeneration":{}}}`
		statusWrite = `{"f:status":{}}`
		labelPatch  = `{"f:metadata":{"f:labels":{"f:managed-by.kubestellar.io/singletonstatus":{}}}}`
	)
	at := func(d time.Duration) []metav1.ManagedFieldsEntry {
		return []metav1.ManagedFieldsEntry{entry(d-time.Second, "", created), entry(d, "status", statusWrite)}
	}
	for _, tc := range []struct {
		name    string
		managed []metav1.ManagedFieldsEntry
		want    time.Time
	}{
		{"no managed fields: the receipt", nil, received},
		{"written in the same second: the receipt, finer", at(0), received},
		{"written long before (operator was down): the write", at(-time.Minute), received.Add(-time.Minute).Truncate(time.Second)},
		{"labels patched since: still the status write", append(at(-time.Minute), entry(-10*time.Second, "", labelPatch)),
			received.Add(-time.Minute).Truncate(time.Second)},
		{"created, no status yet: the receipt", at(0)[:1], received},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			w := &WorkStatus{ObjectMeta: metav1.ObjectMeta{ManagedFields: tc.managed}}
			g.Expect(writtenTime(w, received)).To(Equal(tc.want))
		})
	}
}

func TestStampWorkStatus(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := &WorkStatus{ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}}}
	out, err := stampWorkStatus(func() time.Time { return now }, maxStatusBytes)(w)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.(*WorkStatus).written).To(Equal(now))
	g.Expect(out.(*WorkStatus).ManagedFields).To(BeNil(), "the cache keeps no managed fields")
	g.Expect(out.(*WorkStatus).DeepCopy().written).To(Equal(now), "copies keep the time")
}
