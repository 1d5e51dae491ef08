package integration

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// S2: an operator that restarts, or a new leader, resumes from what the API holds. This runs
// on an API server of its own, so that only the operators started here act on it.
var _ = Describe("An operator restarted in the middle of a transition", func() {
	It("resumes from the API: it releases the waiting pod once the old one is confirmed stopped", func(ctx SpecContext) {
		server, err := framework.StartAPIServer("restart", "config/crd/bases")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(server.Stop)
		c := server.Client
		get := func(pod *corev1.Pod) (*corev1.Pod, error) {
			got := &corev1.Pod{}
			return got, c.Get(ctx, client.ObjectKeyFromObject(pod), got)
		}

		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "restart"}}
		Expect(c.Create(ctx, ns)).To(Succeed())
		Expect(c.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}})).To(Succeed())
		ss := &singletonv1.StatefulSingleton{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "db"},
			Spec: singletonv1.StatefulSingletonSpec{
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			},
		}
		Expect(c.Create(ctx, ss)).To(Succeed())

		By("letting a first operator release one pod and ask it to stop for a newer one")
		stopFirst := startOperator(server.Config, server.Env.Scheme)
		old := preparedPod(ns.Name, "old", "node-1")
		Expect(c.Create(ctx, old)).To(Succeed())
		Eventually(get).WithContext(ctx).WithArguments(old).Should(beReleased(old))
		fresh := preparedPod(ns.Name, "new", "node-1")
		Expect(c.Create(ctx, fresh)).To(Succeed())
		fresh.Status.InitContainerStatuses = initContainersDone(fresh)
		fresh.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "app", Image: "localhost/busybox:1.35",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		}}
		Expect(c.Status().Update(ctx, fresh)).To(Succeed(), "the new pod is armed: its gate runs")
		Eventually(get).WithContext(ctx).WithArguments(old).Should(HaveField("DeletionTimestamp", Not(BeNil())))

		By("stopping that operator, then reporting the old pod's container terminated while none runs")
		stopFirst()
		current, err := get(old)
		Expect(err).NotTo(HaveOccurred())
		current.Status.Phase = corev1.PodFailed
		current.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "app", Image: "localhost/busybox:1.35",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.Now()}},
		}}
		Expect(c.Status().Update(ctx, current)).To(Succeed())
		Consistently(get).WithContext(ctx).WithArguments(fresh).WithTimeout(time.Second).
			Should(Not(beReleased(fresh)), "nothing releases while no operator runs")

		By("starting a new operator, with nothing in memory")
		DeferCleanup(startOperator(server.Config, server.Env.Scheme))
		Eventually(get).WithContext(ctx).WithArguments(fresh).Should(beReleased(fresh))
		Eventually(func(g Gomega) {
			got := &singletonv1.StatefulSingleton{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(ss), got)).To(Succeed())
			g.Expect(got.Status.LastTransition).NotTo(BeNil())
			g.Expect(got.Status.LastTransition.From).To(Equal("old"))
			g.Expect(got.Status.LastTransition.To).To(Equal("new"))
		}).WithContext(ctx).Should(Succeed(), "the transition the first operator began is recorded as completed")
	})
})
