package reportedstate

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// The table of R1 (docs/design.md): with singleton reported state on, the WDS object's status is the WEC's
// and kubectl get shows the same columns; off, the WDS object keeps the status it was created
// with (status: {} for the workload kinds) and carries no label.
var _ = Describe("Singleton reported state (R1: the table of the WDS object as kubectl shows it)", func() {
	DescribeTable("returns one WEC's status for", func(ctx SpecContext, w workload) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1")

		By("running the object in the WEC, which reports its status")
		wecStatus := runInWEC(ctx, w, wecs[0], "app")

		By("asking singleton reported state for one copy in the WDS, and none for another")
		on, off := w.build(ns, "on"), w.build(ns, "off")
		Expect(wdsClient.Create(ctx, on)).To(Succeed())
		Expect(wdsClient.Create(ctx, off)).To(Succeed())
		offCreated, err := statusOf(ctx, w.gvk(), ns, "off")
		Expect(err).NotTo(HaveOccurred())
		policy(ctx, ns+"-on", wecs, clause{GVR: w.gvr, Namespace: ns, Name: "on", Single: true})
		policy(ctx, ns+"-off", wecs, clause{GVR: w.gvr, Namespace: ns, Name: "off"})
		reportStatus(ctx, wecs[0], wdsName, w.ref(ns, "on"), wecStatus)
		reportStatus(ctx, wecs[0], wdsName, w.ref(ns, "off"), wecStatus)

		Eventually(statusOf).WithContext(ctx).WithArguments(w.gvk(), ns, "on").Should(Equal(wecStatus))
		Eventually(labelOf).WithContext(ctx).WithArguments(w.gvk(), ns, "on", kubestellar.LabelExecutingCount).
			Should(Equal("1"))
		Expect(labelOf(ctx, w.gvk(), ns, "on", kubestellar.LabelSingletonStatus)).To(Equal("true"))
		if w.kind == "Deployment" {
			// A Deployment's generation follows its annotations: the health annotation would hold
			// rollout status back, so it is not written there.
			u, err := getObject(ctx, w.gvk(), ns, "on")
			Expect(err).NotTo(HaveOccurred())
			Expect(u.GetGeneration()).To(Equal(int64(1)))
			Expect(u.GetAnnotations()).NotTo(HaveKey(kubestellar.AnnotationWECStatus))
		} else {
			Eventually(annotationOf).WithContext(ctx).WithArguments(w.gvk(), ns, "on", kubestellar.AnnotationWECStatus).
				Should(Equal(wecs[0] + "=Current"))
		}

		By("comparing kubectl get in the WDS and in the WEC")
		wdsCols := getColumns(ctx, kubeconfig, w, ns, "on")
		wecCols := getColumns(ctx, itsKubeconfig, w, wecs[0], "app")
		Expect(wdsCols).To(Equal(wecCols))

		By("leaving the object without reported state as it was created")
		Consistently(statusOf).WithContext(ctx).WithArguments(w.gvk(), ns, "off").WithTimeout(2 * time.Second).
			Should(Equal(offCreated))
		u, err := getObject(ctx, w.gvk(), ns, "off")
		Expect(err).NotTo(HaveOccurred())
		Expect(u.GetLabels()).NotTo(HaveKey(kubestellar.LabelExecutingCount))
		Expect(u.GetAnnotations()).NotTo(HaveKey(kubestellar.AnnotationWECStatus))
		Expect(u.GetManagedFields()).NotTo(ContainElement(HaveField("Manager", kubestellar.FieldManager)))
	},
		Entry("a Deployment", deploymentWorkload),
		Entry("a StatefulSet", statefulSetWorkload),
		Entry("a DaemonSet", daemonSetWorkload),
		Entry("a Service", serviceWorkload),
		Entry("a Pod", podWorkload),
	)
})

// runInWEC creates the object in the WEC (a namespace of the ITS server stands for it), sets the
// status the WEC reports, and returns that status as the server holds it.
func runInWEC(ctx context.Context, w workload, wec, name string) map[string]any {
	GinkgoHelper()
	Expect(itsClient.Create(ctx, w.build(wec, name))).To(Succeed())
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(w.gvk())
	Expect(itsClient.Get(ctx, client.ObjectKey{Namespace: wec, Name: name}, u)).To(Succeed())
	st, _ := u.Object["status"].(map[string]any)
	if st == nil {
		st = map[string]any{}
	}
	for k, v := range w.status {
		st[k] = v
	}
	u.Object["status"] = st
	Expect(itsClient.Status().Update(ctx, u)).To(Succeed())
	Expect(itsClient.Get(ctx, client.ObjectKeyFromObject(u), u)).To(Succeed())
	return u.Object["status"].(map[string]any)
}

// getColumns runs kubectl get and returns the named columns' values.
func getColumns(ctx context.Context, kc string, w workload, namespace, name string) map[string]string {
	GinkgoHelper()
	out, err := kubectl(ctx, kc, "get", strings.ToLower(w.kind), name, "-n", namespace)
	Expect(err).NotTo(HaveOccurred(), out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	Expect(lines).To(HaveLen(2), out)
	cols := map[string]string{}
	for h, v := range tableRow(lines[0], lines[1]) {
		if slices.Contains(w.columns, h) {
			cols[h] = v
		}
	}
	Expect(cols).To(HaveLen(len(w.columns)), out)
	return cols
}

// tableRow reads one row of a kubectl table: each column starts where its header does
// (headers are separated by runs of spaces and may hold single ones, like NODE SELECTOR).
func tableRow(header, row string) map[string]string {
	starts := regexp.MustCompile(`(^|\s{2,})(\S)`).FindAllStringSubmatchIndex(header, -1)
	out := map[string]string{}
	for i, m := range starts {
		from, to := m[4], len(header)
		if i+1 < len(starts) {
			to = starts[i+1][4]
		}
		name := strings.TrimSpace(header[from:to])
		if from >= len(row) {
			out[name] = ""
			continue
		}
		out[name] = strings.TrimSpace(row[from:min(to, len(row))])
	}
	return out
}
