//go:build olm

package olm

import (
	"context"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// The operator removed before its StatefulSingleton (docs/install.md, "If the operator went
// first"): a workload left mid-transition, what it looks like once the operator is gone, and the
// recovery that page gives.
const (
	orphanNamespace = "olm-orphan"
	// orphanGrace is how long the old pod's application, which ignores SIGTERM, keeps running
	// once deleted: longer than the uninstall takes, so that the operator is gone before it stops.
	orphanGrace = 60
)

// orphanDeployment is the application of appDeployment in orphanNamespace, rolled out with
// RollingUpdate (the new pod starts before the old one stops), its application ignoring SIGTERM
// for orphanGrace seconds.
func orphanDeployment() *appsv1.Deployment {
	d := appDeployment()
	d.Namespace = orphanNamespace
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](orphanGrace)
	d.Spec.Template.Spec.Containers[0].Command = []string{"sh", "-c", "trap '' TERM; while true; do sleep 1; done"}
	return d
}

// orphanPods lists the application's pods in orphanNamespace.
func orphanPods(ctx context.Context, g Gomega) []corev1.Pod {
	pods := &corev1.PodList{}
	g.Expect(k8s.List(ctx, pods, client.InNamespace(orphanNamespace), client.MatchingLabels{"app": appName})).To(Succeed())
	return pods.Items
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// startOrphanTransition runs the application under a StatefulSingleton and starts a rollout the
// operator cannot finish before it is removed: the old pod is deleted but keeps running for
// orphanGrace seconds, the new one is held. It returns the old pod.
func startOrphanTransition(ctx context.Context) corev1.Pod {
	GinkgoHelper()
	newNamespace(ctx, orphanNamespace)
	Expect(k8s.Create(ctx, &singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{Namespace: orphanNamespace, Name: appName},
		Spec: singletonv1.StatefulSingletonSpec{
			Selector:               metav1.LabelSelector{MatchLabels: map[string]string{"app": appName}},
			TerminationGracePeriod: orphanGrace,
		},
	})).To(Succeed())
	Eventually(func(g Gomega) {
		ss := &singletonv1.StatefulSingleton{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: orphanNamespace, Name: appName}, ss)).To(Succeed())
		g.Expect(ss.Finalizers).To(ContainElement(singletonv1.FinalizerHandBack))
	}).WithContext(ctx).Should(Succeed())
	// As in the first spec: wait until the guard configuration sends this namespace's pods to
	// the webhook, so that the first pod is prepared.
	Eventually(func() (bool, error) {
		tmpl := orphanDeployment().Spec.Template
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: orphanNamespace, GenerateName: appName + "-probe-", Labels: tmpl.Labels},
			Spec:       tmpl.Spec,
		}
		if err := k8s.Create(ctx, pod, client.DryRunAll); err != nil {
			return false, err
		}
		return pod.Labels[singletonv1.LabelManaged] == "true", nil
	}).WithContext(ctx).Should(BeTrue())
	d := orphanDeployment()
	Expect(k8s.Create(ctx, d)).To(Succeed())

	var old corev1.Pod
	Eventually(func(g Gomega) {
		pods := orphanPods(ctx, g)
		g.Expect(pods).To(HaveLen(1))
		old = pods[0]
		g.Expect(isReady(&old)).To(BeTrue())
		g.Expect(old.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(old.UID)))
		g.Expect(old.Finalizers).To(ContainElement(singletonv1.FinalizerRelease))
	}).WithContext(ctx).Should(Succeed())

	By("rolling the Deployment: the operator deletes the old pod, which keeps running, and holds the new one")
	Expect(k8s.Get(ctx, client.ObjectKeyFromObject(d), d)).To(Succeed())
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Template.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": time.Now().Format(time.RFC3339)}
	Expect(k8s.Patch(ctx, d, patch)).To(Succeed())
	Eventually(func(g Gomega) {
		var held int
		pods := orphanPods(ctx, g)
		for i := range pods {
			p := &pods[i]
			if p.UID == old.UID {
				g.Expect(p.DeletionTimestamp).NotTo(BeNil(), "the operator stops the old pod")
				continue
			}
			if p.DeletionTimestamp == nil && p.Labels[singletonv1.LabelManaged] == "true" {
				held++
			}
		}
		g.Expect(held).To(BeNumerically(">=", 1), "a new pod is prepared and held")
	}).WithContext(ctx).Should(Succeed())
	return old
}

// checkOrphanAndRecover, once the operator is gone, finds what docs/install.md says is left
// (the old pod's object kept by its release finalizer after its application stopped, the new
// pod held for good, the StatefulSingleton's deletion kept by its hand-back finalizer), and
// recovers as it says: remove the finalizers, delete the held pods. The workload then runs one
// unguarded pod.
func checkOrphanAndRecover(ctx context.Context, old corev1.Pod) {
	GinkgoHelper()
	By("finding the pods it held still held, and none of them released")
	Consistently(func(g Gomega) {
		pods := orphanPods(ctx, g)
		for i := range pods {
			p := &pods[i]
			if p.UID == old.UID || p.DeletionTimestamp != nil {
				continue
			}
			g.Expect(isReady(p)).To(BeFalse(), "pod %s is held", p.Name)
			g.Expect(p.Annotations).NotTo(HaveKey(singletonv1.AnnotationRelease))
		}
	}).WithContext(ctx).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(Succeed())

	By("finding the old pod's object kept by its release finalizer once its application stopped")
	Eventually(func(g Gomega) {
		p := &corev1.Pod{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&old), p)).To(Succeed())
		g.Expect(p.Status.ContainerStatuses).NotTo(BeEmpty())
		for i := range p.Status.ContainerStatuses {
			c := &p.Status.ContainerStatuses[i]
			g.Expect(c.State.Terminated).NotTo(BeNil(), "container %s stopped", c.Name)
		}
	}).WithContext(ctx).WithTimeout(3 * time.Minute).Should(Succeed())
	Consistently(func(g Gomega) {
		p := &corev1.Pod{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&old), p)).To(Succeed())
		g.Expect(p.DeletionTimestamp).NotTo(BeNil())
		g.Expect(p.Finalizers).To(ContainElement(singletonv1.FinalizerRelease))
	}).WithContext(ctx).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(Succeed())

	By("removing the release finalizers and deleting the held pods, as docs/install.md says")
	Eventually(func(g Gomega) {
		pods := orphanPods(ctx, g)
		for i := range pods {
			// The held pod a hand-over was about to release carries the finalizer too: both.
			p := &pods[i]
			if slices.Contains(p.Finalizers, singletonv1.FinalizerRelease) {
				patch := client.RawPatch(types.JSONPatchType, []byte(`[{"op":"remove","path":"/metadata/finalizers"}]`))
				g.Expect(client.IgnoreNotFound(k8s.Patch(ctx, p, patch))).To(Succeed())
			}
			if p.DeletionTimestamp == nil && p.Labels[singletonv1.LabelManaged] == "true" && p.UID != old.UID {
				g.Expect(client.IgnoreNotFound(k8s.Delete(ctx, p))).To(Succeed())
			}
		}
		err := k8s.Get(ctx, client.ObjectKeyFromObject(&old), &corev1.Pod{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the old pod's object goes once its finalizer does")
	}).WithContext(ctx).Should(Succeed())

	By("running the workload in one unguarded pod")
	Eventually(func(g Gomega) {
		var live []corev1.Pod
		pods := orphanPods(ctx, g)
		for i := range pods {
			if pods[i].DeletionTimestamp == nil {
				live = append(live, pods[i])
			}
		}
		g.Expect(live).To(HaveLen(1))
		g.Expect(live[0].Labels).NotTo(HaveKey(singletonv1.LabelManaged), "no webhook prepares it any more")
		g.Expect(isReady(&live[0])).To(BeTrue())
	}).WithContext(ctx).Should(Succeed())

	By("finding the StatefulSingleton's deletion kept by its hand-back finalizer, then removing it")
	ss := &singletonv1.StatefulSingleton{ObjectMeta: metav1.ObjectMeta{Namespace: orphanNamespace, Name: appName}}
	Expect(k8s.Delete(ctx, ss)).To(Succeed())
	Consistently(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss)).To(Succeed())
		g.Expect(ss.DeletionTimestamp).NotTo(BeNil())
		g.Expect(ss.Finalizers).To(ContainElement(singletonv1.FinalizerHandBack))
	}).WithContext(ctx).WithTimeout(3 * time.Second).WithPolling(time.Second).Should(Succeed())
	Expect(k8s.Patch(ctx, ss, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`)))).To(Succeed())
	Eventually(func() error {
		return k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss)
	}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound))
}
