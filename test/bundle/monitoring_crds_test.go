package bundle

import (
	"os"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/singleton-operator/singleton-operator/internal/scheme"
)

// TestMonitoringObjectsFitTheirCRDs creates the bundle's ServiceMonitor and PrometheusRule in
// a real API server holding Prometheus Operator's CRDs (`make monitoring-crds`), as OLM does on
// OpenShift: an object its CRD's schema refuses would fail the whole install there.
func TestMonitoringObjectsFitTheirCRDs(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	crds := os.Getenv("MONITORING_CRDS")
	if crds == "" {
		t.Fatal("MONITORING_CRDS is not set: run `make test-bundle`, which generates them (make monitoring-crds)")
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{crds}, ErrorIfCRDPathMissing: true, Scheme: scheme.New()}
	cfg, err := env.Start()
	g.Expect(err).NotTo(HaveOccurred(), "is KUBEBUILDER_ASSETS set? `make test-bundle` sets it")
	t.Cleanup(func() { g.Expect(env.Stop()).To(Succeed()) })
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "singleton-operator-system"}}
	g.Expect(c.Create(ctx, ns)).To(Succeed())
	b := loadBundle(t)
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule"} {
		objs := objectsOfKind(b, kind)
		g.Expect(objs).To(HaveLen(1), kind)
		obj := objs[0].DeepCopy()
		obj.SetNamespace(ns.Name)
		// Strict: a field the CRD does not know (a misspelled authorization, say) is refused
		// rather than silently pruned.
		g.Expect(c.Create(ctx, obj, client.FieldValidation(metav1.FieldValidationStrict))).To(Succeed(),
			"creating the bundle's %s", kind)
	}
	// The scrape's credentials survive as written: the token and the CA from Secrets.
	sm := objectsOfKind(b, "ServiceMonitor")[0].DeepCopy()
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: sm.GetName()}, sm)).To(Succeed())
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	g.Expect(endpoints).To(HaveLen(1))
	ep, _ := endpoints[0].(map[string]any)
	field := func(path ...string) string {
		v, _, _ := unstructured.NestedString(ep, path...)
		return v
	}
	g.Expect(field("authorization", "type")).To(Equal("Bearer"))
	g.Expect(field("authorization", "credentials", "name")).To(Equal(scrapeTokenSecret))
	g.Expect(field("authorization", "credentials", "key")).To(Equal("token"))
	g.Expect(field("tlsConfig", "ca", "secret", "name")).To(Equal("singleton-operator-metrics-server-cert"))

	// The schema is enforced: the same ServiceMonitor with a wrongly typed field is refused.
	bad := objectsOfKind(b, "ServiceMonitor")[0].DeepCopy()
	bad.SetNamespace(ns.Name)
	bad.SetName("wrongly-typed")
	endpoints, _, _ = unstructured.NestedSlice(bad.Object, "spec", "endpoints")
	endpoint, ok := endpoints[0].(map[string]any)
	g.Expect(ok).To(BeTrue())
	g.Expect(unstructured.SetNestedField(endpoint, "yes", "tlsConfig", "insecureSkipVerify")).To(Succeed())
	g.Expect(unstructured.SetNestedSlice(bad.Object, endpoints, "spec", "endpoints")).To(Succeed())
	g.Expect(c.Create(ctx, bad)).NotTo(Succeed())
}
