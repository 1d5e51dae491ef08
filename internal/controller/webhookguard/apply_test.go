package webhookguard

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

func built() *admissionregistrationv1.MutatingWebhookConfiguration {
	return Build(Input{
		Name: "guard",
		Main: []admissionregistrationv1.MutatingWebhookConfiguration{
			serviceMain("a", t0, caBundle), serviceMain("b", t0, caBundle),
		},
		Singletons: []singletonv1.StatefulSingleton{singleton("shop", "db", matchLabels("app", "db"))},
	}).Config
}

func TestUpToDate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*admissionregistrationv1.MutatingWebhookConfiguration)
		want   bool
	}{
		{"as applied", func(*admissionregistrationv1.MutatingWebhookConfiguration) {}, true},
		{"with what the API server adds", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.ResourceVersion, c.UID, c.Generation = "42", "uid-guard", 3
			c.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: FieldManager}}
			c.Labels["someone-else"] = "x"
		}, true},
		{"owners in another order", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.OwnerReferences[0], c.OwnerReferences[1] = c.OwnerReferences[1], c.OwnerReferences[0]
		}, true},
		{"an empty list where Build has none", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.Webhooks[0].MatchConditions = []admissionregistrationv1.MatchCondition{}
		}, true},
		{"another caBundle", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.Webhooks[0].ClientConfig.CABundle = []byte("rotated")
		}, false},
		{"another selector", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.Webhooks[0].ObjectSelector.MatchLabels["app"] = "web"
		}, false},
		{"an entry too many", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.Webhooks = append(c.Webhooks, c.Webhooks[0])
		}, false},
		{"no entry", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.Webhooks = nil
		}, false},
		{"an owner missing", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.OwnerReferences = c.OwnerReferences[:1]
		}, false},
		{"another owner", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.OwnerReferences[0].UID = "recreated"
		}, false},
		{"a label of ours changed", func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
			c.Labels["app.kubernetes.io/name"] = "other"
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			desired := built()
			current := desired.DeepCopy()
			tt.change(current)
			g.Expect(UpToDate(current, desired)).To(Equal(tt.want))
		})
	}
}

func TestApplyConfigurationSendsOnlyWhatBuildSets(t *testing.T) {
	g := NewWithT(t)
	ac, err := applyConfiguration(built())
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := json.Marshal(ac)
	g.Expect(err).NotTo(HaveOccurred())
	var sent map[string]any
	g.Expect(json.Unmarshal(raw, &sent)).To(Succeed())
	g.Expect(sent).To(HaveKeyWithValue("apiVersion", "admissionregistration.k8s.io/v1"))
	g.Expect(sent).To(HaveKeyWithValue("kind", "MutatingWebhookConfiguration"))
	g.Expect(sent["metadata"]).To(HaveKeyWithValue("name", "guard"))
	g.Expect(sent["metadata"]).NotTo(HaveKey("creationTimestamp"))
	g.Expect(sent["metadata"]).To(HaveKey("ownerReferences"))
	g.Expect(sent["webhooks"]).To(HaveLen(1))
}

func TestReportSkippedOncePerGeneration(t *testing.T) {
	g := NewWithT(t)
	rec := events.NewFakeRecorder(10)
	r := &Reconciler{Recorder: rec, reported: map[types.UID]int64{}}
	bad := singleton("shop", "bad", metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bad"}},
	})
	bad.Generation = 1
	skipped := []Skipped{{Singleton: &bad, Reason: "bad operator"}}

	r.reportSkipped(context.Background(), skipped)
	r.reportSkipped(context.Background(), skipped)
	g.Expect(rec.Events).To(HaveLen(1), "once for generation 1")
	g.Expect(<-rec.Events).To(SatisfyAll(ContainSubstring("Warning"), ContainSubstring(ReasonSelectorNotGuarded),
		ContainSubstring("bad operator")))

	bad.Generation = 2
	r.reportSkipped(context.Background(), skipped)
	g.Expect(rec.Events).To(HaveLen(1), "again for generation 2")
	<-rec.Events

	r.reportSkipped(context.Background(), nil)
	g.Expect(r.reported).To(BeEmpty(), "forgotten once it has an entry, or is gone")
	r.reportSkipped(context.Background(), skipped)
	g.Expect(rec.Events).To(HaveLen(1), "reported again if it is left out again")
}
