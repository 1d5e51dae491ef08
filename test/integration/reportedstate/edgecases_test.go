package reportedstate

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// subSecondQuiet is how long a test watches that nothing happens.
const subSecondQuiet = 1500 * time.Millisecond

// cleared asserts that the operator's writes are gone from an object: no label, annotation,
// managed fields or status of its own.
func expectCleared(ctx context.Context, gvk schema.GroupVersionKind, ns, name string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		u, err := getObject(ctx, gvk, ns, name)
		g.Expect(err).NotTo(HaveOccurred())
		for _, l := range []string{kubestellar.LabelExecutingCount, kubestellar.LabelSingletonStatus, kubestellar.LabelMultiWECStatus} {
			g.Expect(u.GetLabels()).NotTo(HaveKey(l))
		}
		g.Expect(u.GetAnnotations()).NotTo(HaveKey(kubestellar.AnnotationWECStatus))
		g.Expect(u.GetAnnotations()).NotTo(HaveKey(kubestellar.AnnotationReportingWECs))
		g.Expect(u.GetManagedFields()).NotTo(ContainElement(HaveField("Manager", kubestellar.FieldManager)))
		st, _ := u.Object["status"].(map[string]any)
		g.Expect(st).To(BeEmpty())
	}).WithContext(ctx).Should(Succeed())
}

var _ = Describe("Reported state edge cases", func() {
	var (
		ns   string
		gvk  = deploymentWorkload.gvk()
		full = deploymentStatus(2, 2)
		half = deploymentStatus(1, 1)
	)
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("removes what it wrote when the policy is toggled off", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1")
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		b := policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true})
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full))

		updatePolicy(ctx, b, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d"})
		expectCleared(ctx, gvk, ns, "d")
	})

	It("removes what it wrote when the Binding is deleted", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1", "wec2")
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		b := policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Multi: true})
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
		reportStatus(ctx, wecs[1], wdsName, deploymentWorkload.ref(ns, "d"), half)
		Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelMultiWECStatus).Should(Equal("true"))
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").ShouldNot(BeEmpty())
		Expect(labelOf(ctx, gvk, ns, "d", kubestellar.LabelExecutingCount)).To(BeEmpty(),
			"no executing count without singleton reported state")

		deletePolicy(ctx, b)
		expectCleared(ctx, gvk, ns, "d")
	})

	It("removes what it wrote when the object leaves the Binding, and keeps the others", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1")
		for _, n := range []string{"stays", "leaves"} {
			Expect(wdsClient.Create(ctx, deployment(ns, n))).To(Succeed())
			reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, n), full)
		}
		stays := clause{GVR: deploymentsGVR, Namespace: ns, Name: "stays", Single: true}
		b := policy(ctx, ns, wecs, stays, clause{GVR: deploymentsGVR, Namespace: ns, Name: "leaves", Single: true})
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "leaves").Should(Equal(full))

		updatePolicy(ctx, b, wecs, stays)
		expectCleared(ctx, gvk, ns, "leaves")
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "stays").Should(Equal(full))
		Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "stays", kubestellar.LabelExecutingCount).Should(Equal("1"))
	})

	It("follows a WEC removed from the destinations: two WECs summarized, then the one left copied", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1", "wec2")
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		c := clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Multi: true}
		b := policy(ctx, ns, wecs, c)
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
		reportStatus(ctx, wecs[1], wdsName, deploymentWorkload.ref(ns, "d"), half)
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(And(Not(BeEmpty()), Not(Equal(full))),
			"the summary of both")

		updatePolicy(ctx, b, wecs[:1], c)
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full), "wec1's, copied")
	})

	It("keeps the higher collisionCount when another WEC becomes the one reporting, so the write is not refused",
		func(ctx SpecContext) {
			wecs := newWECs(ctx, ns, "wec1", "wec2")
			Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
			c := clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true}
			b := policy(ctx, ns, wecs[:1], c)
			collided := deploymentStatus(2, 2)
			collided["collisionCount"] = int64(3)
			reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), collided)
			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(collided))

			By("moving the object to wec2, whose copy has collided once only")
			fresh := deploymentStatus(1, 1)
			fresh["collisionCount"] = int64(1)
			reportStatus(ctx, wecs[1], wdsName, deploymentWorkload.ref(ns, "d"), fresh)
			updatePolicy(ctx, b, wecs[1:], c)
			want := deploymentStatus(1, 1)
			want["collisionCount"] = int64(3)
			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(want),
				"wec2's status, with the count the API server allows")
		})

	It("counts only the qualified WECs of two Bindings on one object", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1", "wec2")
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		policy(ctx, ns+"-asks", wecs[:1], clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true})
		policy(ctx, ns+"-silent", wecs[1:], clause{GVR: deploymentsGVR, Namespace: ns, Name: "d"})
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
		reportStatus(ctx, wecs[1], wdsName, deploymentWorkload.ref(ns, "d"), half)

		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full))
		Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).Should(Equal("1"))
		Consistently(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).
			WithTimeout(subSecondQuiet).Should(Equal("1"))
	})

	It("writes and clears the status of a kind without a status subresource, and labels a ConfigMap", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1")
		widgetGVK := widgetsGVR.GroupVersion().WithKind("Widget")
		w := &unstructured.Unstructured{}
		w.SetGroupVersionKind(widgetGVK)
		w.SetNamespace(ns)
		w.SetName("w")
		w.Object["spec"] = map[string]any{"size": int64(3)}
		Expect(wdsClient.Create(ctx, w)).To(Succeed())
		Expect(wdsClient.Create(ctx, configMap(ns, "cm"))).To(Succeed())
		widgetStatus := map[string]any{"phase": "Ready", "conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}
		reportStatus(ctx, wecs[0], wdsName, sourceRef{gvr: widgetsGVR, kind: "Widget", namespace: ns, name: "w"}, widgetStatus)
		reportStatus(ctx, wecs[0], wdsName, sourceRef{gvr: configMapsGVR, kind: "ConfigMap", namespace: ns, name: "cm"}, nil)
		b := policy(ctx, ns, wecs,
			clause{GVR: widgetsGVR, Namespace: ns, Name: "w", Single: true},
			clause{GVR: configMapsGVR, Namespace: ns, Name: "cm", Single: true})

		Eventually(statusOf).WithContext(ctx).WithArguments(widgetGVK, ns, "w").Should(Equal(widgetStatus))
		cmGVK := corev1.SchemeGroupVersion.WithKind("ConfigMap")
		Eventually(labelOf).WithContext(ctx).WithArguments(cmGVK, ns, "cm", kubestellar.LabelExecutingCount).Should(Equal("1"))

		updatePolicy(ctx, b, wecs)
		expectCleared(ctx, widgetGVK, ns, "w")
		got, err := getObject(ctx, widgetGVK, ns, "w")
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Object).NotTo(HaveKey("status"), "the whole status the operator wrote is gone")
		Expect(got.Object["spec"]).To(Equal(map[string]any{"size": int64(3)}), "the spec is untouched")
		expectCleared(ctx, cmGVK, ns, "cm")
	})

	It("ignores WorkStatuses from another WDS", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1", "wec2")
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
		reportStatus(ctx, wecs[1], "another-wds", deploymentWorkload.ref(ns, "d"), half)
		policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true, Multi: true})

		// Two qualified WECs, one reporting to this WDS: the summary of that one, its status.
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full))
		Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).Should(Equal("2"))
		Consistently(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").WithTimeout(subSecondQuiet).Should(Equal(full),
			"another WDS's report is not summarized")
	})

	It("reports malformed WorkStatuses and skips them without disturbing the others", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1", "wec2", "wec3")
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		ref := deploymentWorkload.ref(ns, "d")
		reportStatus(ctx, wecs[0], wdsName, ref, full)
		writeWorkStatus(ctx, wecs[2], "too-large", wdsName, ref, ref.spec(), map[string]any{"blob": strings.Repeat("x", 600*1024)})
		writeWorkStatus(ctx, wecs[0], "no-name", wdsName, ref, map[string]any{"group": "apps", "version": "v1",
			"resource": "deployments", "namespace": ns}, full)
		writeWorkStatus(ctx, wecs[0], "unknown-resource", wdsName, ref, map[string]any{"group": "example.com", "version": "v1",
			"resource": "gizmos", "namespace": ns, "name": "g"}, full)
		By("a status that is not an object: the addon's CRD refuses it, the operator never sees one")
		ws := &unstructured.Unstructured{}
		ws.SetAPIVersion("control.kubestellar.io/v1alpha1")
		ws.SetKind("WorkStatus")
		Expect(itsClient.Get(ctx, client.ObjectKey{Namespace: wecs[0], Name: workStatusName(wecs[0], wdsName, ref)}, ws)).To(Succeed())
		ws.Object["status"] = "Running"
		Expect(itsClient.Status().Update(ctx, ws)).To(MatchError(ContainSubstring("status")))
		policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true, Multi: true})

		// Three qualified WECs, one valid report: the summary of that one, which is its status.
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full))
		Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).Should(Equal("3"))
		Eventually(func(g Gomega) []string {
			rs := &ksReportedState{}
			g.Expect(wdsClient.Get(ctx, client.ObjectKey{Namespace: opsNS, Name: wdsName}, rs)).To(Succeed())
			return rs.Status.InvalidWorkStatuses
		}).WithContext(ctx).Should(ContainElements(
			wecs[2]+"/too-large", wecs[0]+"/no-name", wecs[0]+"/unknown-resource"))
		// One event each: events of one reason on the ReportedState fold into one series unless
		// they name different related objects (the series keeps the first note only).
		Eventually(eventNotes).WithContext(ctx).WithArguments("InvalidWorkStatus").Should(ContainElements(
			ContainSubstring(wecs[2]+"/too-large"), ContainSubstring(wecs[0]+"/no-name"),
			ContainSubstring(wecs[0]+"/unknown-resource")))
	})

	It("clears, after a restart, what it wrote on an object that left its Binding while it was down, "+
		"and rewrites nothing on the others", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1", "wec2")
		stays := clause{GVR: deploymentsGVR, Namespace: ns, Name: "stays", Multi: true}
		for _, n := range []string{"d", "stays"} {
			Expect(wdsClient.Create(ctx, deployment(ns, n))).To(Succeed())
			reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, n), full)
			reportStatus(ctx, wecs[1], wdsName, deploymentWorkload.ref(ns, n), half)
		}
		b := policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Multi: true}, stays)
		for _, n := range []string{"d", "stays"} {
			Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, n, kubestellar.LabelMultiWECStatus).Should(Equal("true"))
			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, n).ShouldNot(BeEmpty())
		}
		kept, err := getObject(ctx, gvk, ns, "stays")
		Expect(err).NotTo(HaveOccurred())

		By("stopping the operator, then dropping one object from its Binding")
		stopOp()
		updatePolicy(ctx, b, wecs, stays)

		By("starting a new operator, with nothing in memory")
		stopOp = startOperator(wds.Config)
		expectCleared(ctx, gvk, ns, "d")
		Consistently(func() (string, error) {
			u, err := getObject(ctx, gvk, ns, "stays")
			return u.GetResourceVersion(), err
		}).WithContext(ctx).WithTimeout(subSecondQuiet).Should(Equal(kept.GetResourceVersion()),
			"the object still asked for is neither cleared nor rewritten")
	})

	It("leaves WDS status as it is while the ITS is unreachable, says so, and resumes when it is back", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1")
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true})
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), half)
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(half))

		By("cutting the operator off the ITS")
		itsRelay.Cut()
		DeferCleanup(func() { _ = itsRelay.Resume() })
		Eventually(condition).WithContext(ctx).WithArguments(opsNS, wdsName, "Connected").Should(Equal(metav1.ConditionFalse))
		Expect(reasonOf(ctx, opsNS, wdsName, "Connected")).To(Equal("False/ITSUnreachable"))
		Eventually(eventNotes).WithContext(ctx).WithArguments("ITSUnreachable").ShouldNot(BeEmpty())
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
		Consistently(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").WithTimeout(subSecondQuiet).Should(Equal(half))

		By("letting it reach the ITS again")
		Expect(itsRelay.Resume()).To(Succeed())
		Eventually(condition).WithContext(ctx).WithArguments(opsNS, wdsName, "Connected").Should(Equal(metav1.ConditionTrue))
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full))
	})
})

// R4 and M1: an update that changes nothing writes nothing; a change is one write, counted, with
// its propagation lag observed.
var _ = Describe("Reported state writes", func() {
	It("writes once per change and never for an update that changes nothing", func(ctx SpecContext) {
		ns, wecs := singletonShown(ctx, statefulSetWorkload, "s", statefulSetWorkload.status)
		gvk := statefulSetWorkload.gvk()
		ref := statefulSetWorkload.ref(ns, "s")
		Eventually(annotationOf).WithContext(ctx).WithArguments(gvk, ns, "s", "kubestellar.statefulsingleton.com/wec-status").
			ShouldNot(BeEmpty())
		// Settled: KubeStellar's binding controller follows the object's versions into its
		// Binding, which queues the object again, and a write refused as stale is decided again.
		last := ""
		Eventually(func(g Gomega) bool {
			u, err := getObject(ctx, gvk, ns, "s")
			g.Expect(err).NotTo(HaveOccurred())
			same := u.GetResourceVersion() == last
			last = u.GetResourceVersion()
			return same
		}).WithContext(ctx).WithPolling(subSecondQuiet / 2).Should(BeTrue())

		By("touching the WorkStatus without changing the status")
		before, err := getObject(ctx, gvk, ns, "s")
		Expect(err).NotTo(HaveOccurred())
		writesBefore := statusWrites("applied")
		conflictsBefore := statusWrites("conflict")
		lagsBefore := histogramCount("reportedstate_propagation_lag_seconds")
		reportStatus(ctx, wecs[0], wdsName, ref, statefulSetWorkload.status)
		ws := &unstructured.Unstructured{}
		ws.SetAPIVersion("control.kubestellar.io/v1alpha1")
		ws.SetKind("WorkStatus")
		Expect(itsClient.Get(ctx, client.ObjectKey{Namespace: wecs[0], Name: workStatusName(wecs[0], wdsName, ref)}, ws)).To(Succeed())
		ws.SetAnnotations(map[string]string{"touched": "yes"})
		Expect(itsClient.Update(ctx, ws)).To(Succeed())
		Consistently(func() (string, error) {
			u, err := getObject(ctx, gvk, ns, "s")
			return u.GetResourceVersion(), err
		}).WithContext(ctx).WithTimeout(subSecondQuiet).Should(Equal(before.GetResourceVersion()))
		Expect(statusWrites("applied")).To(Equal(writesBefore))

		By("changing the status: one write, its lag observed")
		changed := map[string]any{}
		for k, v := range statefulSetWorkload.status {
			changed[k] = v
		}
		changed["collisionCount"] = int64(1) // the WEC's health stays Current
		reportStatus(ctx, wecs[0], wdsName, ref, changed)
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "s").Should(Equal(changed))
		Eventually(func() float64 { return statusWrites("applied") }).
			Should(BeNumerically(">=", writesBefore+1))
		Eventually(func() uint64 { return histogramCount("reportedstate_propagation_lag_seconds") }).
			Should(BeNumerically(">", lagsBefore))
		Consistently(func() float64 { return statusWrites("applied") }).
			WithTimeout(subSecondQuiet).Should(Equal(writesBefore+1), "one status write, the label and annotation unchanged")
		// A reconcile that another event starts before the cache holds the operator's own last
		// write decides from the older object: its patch, preconditioned on that version, is
		// refused (a conflict) and the object decided again, which writes nothing. A wasted
		// request, never a wrong write (the applied count above is exact); seen about once in
		// five runs on a loaded machine, so at most one is allowed here.
		Expect(statusWrites("conflict")).To(BeNumerically("<=", conflictsBefore+1), "at most one refused write")
	})

	It("puts the WEC's status back when another writer changes it in the WDS, and then writes nothing", func(ctx SpecContext) {
		full := deploymentStatus(1, 1)
		ns, _ := singletonShown(ctx, deploymentWorkload, "d", full)
		gvk := deploymentWorkload.gvk()

		By("another writer changing a reported field and adding one")
		foreign := &unstructured.Unstructured{}
		foreign.SetGroupVersionKind(gvk)
		foreign.SetNamespace(ns)
		foreign.SetName("d")
		patch := []byte(`{"status":{"updatedReplicas":0,"unavailableReplicas":1}}`)
		Expect(wdsClient.Status().Patch(ctx, foreign, client.RawPatch(types.MergePatchType, patch),
			client.FieldOwner("someone-else"))).To(Succeed())
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full),
			"the WDS shows the WEC's status again")
		settled, err := getObject(ctx, gvk, ns, "d")
		Expect(err).NotTo(HaveOccurred())
		Consistently(func() (string, error) {
			u, err := getObject(ctx, gvk, ns, "d")
			return u.GetResourceVersion(), err
		}).WithContext(ctx).WithTimeout(subSecondQuiet).Should(Equal(settled.GetResourceVersion()),
			"the echo of its own write makes it write nothing more")
	})
})

// A WEC status that the WDS's validation refuses (a WEC of another Kubernetes version, say).
var _ = Describe("A WEC status the WDS refuses", func() {
	It("is reported with an event while the object keeps what it showed, until the WEC reports one it accepts",
		func(ctx SpecContext) {
			half := deploymentStatus(1, 1)
			ns, wecs := singletonShown(ctx, deploymentWorkload, "d", half)
			gvk := deploymentWorkload.gvk()
			ref := deploymentWorkload.ref(ns, "d")

			By("the WEC reporting more available than ready replicas")
			refused := deploymentStatus(2, 2)
			refused["readyReplicas"] = int64(1)
			reportStatus(ctx, wecs[0], wdsName, ref, refused)
			Eventually(eventNotes).WithContext(ctx).WithArguments("StatusRefused").Should(ContainElement(And(ContainSubstring(ns+"/d"),
				ContainSubstring("cannot be greater than readyReplicas"))))
			Expect(statusOf(ctx, gvk, ns, "d")).To(Equal(half), "the object keeps what it showed")

			By("the WEC reporting a status the WDS accepts")
			full := deploymentStatus(2, 2)
			reportStatus(ctx, wecs[0], wdsName, ref, full)
			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full))
		})
})

// R5: a changed kubeconfig Secret moves the connection to the new address.
var _ = Describe("A kubeconfig Secret that changes", func() {
	It("reconnects to the new address and keeps returning state", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1")
		gvk := deploymentWorkload.gvk()
		Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true})
		ref := deploymentWorkload.ref(ns, "d")
		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(1, 1))
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(deploymentStatus(1, 1)))

		By("pointing the ITS Secret at another relay and cutting the first")
		other, err := startRelay(its.Config.Host)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(other.Close)
		setSecret := func(ctx context.Context, server string) {
			secret := &corev1.Secret{}
			Expect(wdsClient.Get(ctx, client.ObjectKey{Namespace: opsNS, Name: "its-kubeconfig"}, secret)).To(Succeed())
			secret.Data["kubeconfig"] = kubeconfigFor(its.Config, server)
			Expect(wdsClient.Update(ctx, secret)).To(Succeed())
		}
		setSecret(ctx, other.URL())
		DeferCleanup(func(ctx SpecContext) { setSecret(ctx, itsRelay.URL()) })
		itsRelay.Cut()
		DeferCleanup(func() { _ = itsRelay.Resume() })

		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(2, 2))
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(deploymentStatus(2, 2)))
		Eventually(condition).WithContext(ctx).WithArguments(opsNS, wdsName, "Ready").Should(Equal(metav1.ConditionTrue))
	})
})
