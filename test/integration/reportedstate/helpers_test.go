package reportedstate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

// kubeconfigFor renders a kubeconfig with cfg's credentials and the given server URL.
func kubeconfigFor(cfg *rest.Config, server string) []byte {
	GinkgoHelper()
	data, err := framework.Kubeconfig(cfg, server)
	Expect(err).NotTo(HaveOccurred())
	return data
}

func kubeconfigSecret(namespace, name string, cfg *rest.Config, server string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Data:       map[string][]byte{"kubeconfig": kubeconfigFor(cfg, server)},
	}
}

// newNamespace creates a namespace of its own for one test, in the WDS.
func newNamespace(ctx context.Context) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "rs-"}}
	Expect(wdsClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// newWECs registers WECs in the ITS, named after the test namespace: each an OCM ManagedCluster
// (labeled with its name, for BindingPolicies to select) and the namespace of its WorkStatuses.
func newWECs(ctx context.Context, ns string, names ...string) []string {
	GinkgoHelper()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = ns + "-" + n
		mc := &unstructured.Unstructured{}
		mc.SetAPIVersion("cluster.open-cluster-management.io/v1")
		mc.SetKind("ManagedCluster")
		mc.SetName(out[i])
		mc.SetLabels(map[string]string{labelWEC: out[i]})
		mc.Object["spec"] = map[string]any{"hubAcceptsClient": true}
		Expect(itsClient.Create(ctx, mc)).To(Succeed())
		Expect(itsClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: out[i]}})).To(Succeed())
	}
	return out
}

// clause is one Binding entry.
type clause = framework.Clause

// newBinding creates a Binding by hand that sends the clauses to the WECs: only for what
// KubeStellar's binding controller cannot produce (see bindings_test.go); policy makes the others.
func newBinding(ctx context.Context, name string, wecs []string, clauses ...clause) *controlv1alpha1.Binding {
	GinkgoHelper()
	b := &controlv1alpha1.Binding{ObjectMeta: metav1.ObjectMeta{Name: name}}
	framework.SetBinding(b, wecs, clauses...)
	Expect(wdsClient.Create(ctx, b)).To(Succeed())
	return b
}

// getObject reads a WDS object as unstructured.
func getObject(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u, wdsClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
}

// statusOf reads a WDS object's .status ({} when it has none).
func statusOf(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (map[string]any, error) {
	u, err := getObject(ctx, gvk, namespace, name)
	if err != nil {
		return nil, err
	}
	st, _ := u.Object["status"].(map[string]any)
	if st == nil {
		st = map[string]any{}
	}
	return st, nil
}

// labelOf reads one label of a WDS object ("" when absent).
func labelOf(ctx context.Context, gvk schema.GroupVersionKind, namespace, name, key string) (string, error) {
	u, err := getObject(ctx, gvk, namespace, name)
	if err != nil {
		return "", err
	}
	return u.GetLabels()[key], nil
}

// annotationOf reads one annotation of a WDS object ("" when absent).
func annotationOf(ctx context.Context, gvk schema.GroupVersionKind, namespace, name, key string) (string, error) {
	u, err := getObject(ctx, gvk, namespace, name)
	if err != nil {
		return "", err
	}
	return u.GetAnnotations()[key], nil
}

// kubectl runs the real kubectl against the WDS (or another kubeconfig) and returns its output.
func kubectl(ctx context.Context, kc string, args ...string) (string, error) {
	bin := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", kc}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func splitLines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

// eventNotes returns the notes of the events with reason in the operator's namespace (the
// ReportedStates' events).
func eventNotes(ctx context.Context, reason string) ([]string, error) {
	var list eventsList
	if err := wdsClient.List(ctx, &list, client.InNamespace(opsNS)); err != nil {
		return nil, err
	}
	var notes []string
	for i := range list.Items {
		if list.Items[i].Reason == reason {
			notes = append(notes, list.Items[i].Note)
		}
	}
	return notes, nil
}

// singletonShown creates an object of w in a new namespace, a BindingPolicy that asks singleton
// reported state for it from one WEC, has that WEC report status, and waits until the WDS shows
// it.
func singletonShown(ctx context.Context, w workload, name string, status map[string]any) (string, []string) {
	ns := newNamespace(ctx)
	wecs := newWECs(ctx, ns, "wec1")
	Expect(wdsClient.Create(ctx, w.build(ns, name))).To(Succeed())
	policy(ctx, ns, wecs, clause{GVR: w.gvr, Namespace: ns, Name: name, Single: true})
	reportStatus(ctx, wecs[0], wdsName, w.ref(ns, name), status)
	Eventually(statusOf).WithContext(ctx).WithArguments(w.gvk(), ns, name).Should(Equal(status))
	return ns, wecs
}
