//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// A kwok process plays a node and the pods on it; killing it is losing the node: its pods keep
// their last status (Running) and nothing confirms their stop any more.
var _ = Describe("The released pod's node is lost (docs/design.md, predecessor defect 5)", Serial, func() {
	It("holds the new pod through a force delete until the node is fenced with the out-of-service taint",
		func(ctx SpecContext) {
			lost := podOnLostNode(ctx)
			By("fencing the node: taint node.kubernetes.io/out-of-service")
			node := &corev1.Node{}
			Expect(k8s.Get(ctx, client.ObjectKey{Name: lost.node}, node)).To(Succeed())
			patch := client.MergeFrom(node.DeepCopy())
			node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{
				Key: singletonv1.TaintOutOfService, Value: "nodeshutdown", Effect: corev1.TaintEffectNoExecute,
			})
			Expect(k8s.Patch(ctx, node, patch)).To(Succeed())
			lost.expectHandedOver(ctx)
		})

	It("holds the new pod through a force delete until the node is deleted", func(ctx SpecContext) {
		lost := podOnLostNode(ctx)
		By("fencing the node: deleting it")
		Expect(k8s.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: lost.node}})).To(Succeed())
		lost.expectHandedOver(ctx)
	})
})

// lostNode is a StatefulSingleton whose released pod ran on a node that is now lost, whose
// Deployment was moved to the real node, and whose old pod was force-deleted.
type lostNode struct {
	ns, node string
	ss       *singletonv1.StatefulSingleton
	old      corev1.Pod
}

// podOnLostNode runs a one-replica Deployment under a StatefulSingleton on a kwok node, loses
// the node, moves the Deployment to the real node, force-deletes the old pod, and checks that
// the new pod stays held: nothing confirms that the old application stopped.
func podOnLostNode(ctx context.Context) *lostNode {
	GinkgoHelper()
	lost := &lostNode{ns: newRestrictedNamespace(ctx), node: "e2e-lost-" + rand.String(5)}
	realNode := firstRealNode(ctx)
	stopKwok := startKwokNode(ctx, lost.node)
	lost.ss = createSingleton(ctx, lost.ns, "db")

	d := deployment(lost.ns, "db", restrictedContainer("app", "sh", "-c", "exec sleep 3600"))
	d.Spec.Template.Spec.NodeSelector = map[string]string{corev1.LabelHostname: lost.node}
	d.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: kwokNodeAnnotation, Operator: corev1.TolerationOpExists}}
	Expect(k8s.Create(ctx, d)).To(Succeed())
	Eventually(func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(lost.ns), client.MatchingLabels{"app": "db"})).To(Succeed())
		g.Expect(pods.Items).To(HaveLen(1))
		lost.old = pods.Items[0]
		g.Expect(lost.old.Status.Phase).To(Equal(corev1.PodRunning))
		g.Expect(lost.old.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(lost.old.UID)))
	}).WithContext(ctx).Should(Succeed(), "the pod on the kwok node runs, released")

	By("losing the node (kwok stops), then moving the Deployment to the real node")
	stopKwok()
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Template.Spec.NodeSelector = map[string]string{corev1.LabelHostname: realNode}
	Expect(k8s.Patch(ctx, d, patch)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&lost.old), &lost.old)).To(Succeed())
		g.Expect(lost.old.DeletionTimestamp).NotTo(BeNil())
	}).WithContext(ctx).Should(Succeed(), "the operator asks the old pod to stop once the new one is armed")

	By("force-deleting the old pod, as an administrator would for a pod stuck on a dead node")
	Expect(k8s.Delete(ctx, &lost.old, client.GracePeriodSeconds(0))).To(Succeed())
	// The old ReplicaSet replaces the deleted pod (on the lost node, where it never runs): the
	// list holds the old pod, that replacement and the new pod.
	Consistently(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&lost.old), &corev1.Pod{})).To(Succeed(),
			"the old pod's object stays: nothing confirmed its stop")
		g.Expect(releasedPods(ctx, lost.ns)).To(ConsistOf(HaveField("UID", lost.old.UID)), "no other pod is released")
	}).WithContext(ctx).WithTimeout(5 * time.Second).Should(Succeed())
	return lost
}

// expectHandedOver waits, once the lost node is fenced, for the old pod's object to go and the
// new pod to be released and Ready, and for the status to record the transition.
func (l *lostNode) expectHandedOver(ctx context.Context) {
	GinkgoHelper()
	Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(&l.old), &corev1.Pod{}) }).
		WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "the old pod's object goes once its node is fenced")
	var next corev1.Pod
	Eventually(func(g Gomega) {
		released := releasedPods(ctx, l.ns)
		g.Expect(released).To(HaveLen(1))
		next = released[0]
		g.Expect(next.Status.Conditions).To(ContainElement(SatisfyAll(
			HaveField("Type", corev1.PodReady), HaveField("Status", corev1.ConditionTrue))))
	}).WithContext(ctx).Should(Succeed(), "the new pod is released and Ready")
	Eventually(singletonStatus).WithContext(ctx).WithArguments(l.ss).Should(SatisfyAll(
		HaveField("ActivePod", next.Name),
		HaveField("LastTransition.From", l.old.Name),
		HaveField("LastTransition.To", next.Name)))
}

// releasedPods lists the pods app=db of a namespace that carry their release.
func releasedPods(ctx context.Context, ns string) []corev1.Pod {
	GinkgoHelper()
	pods := &corev1.PodList{}
	Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": "db"})).To(Succeed())
	var released []corev1.Pod
	for i := range pods.Items {
		if p := &pods.Items[i]; p.Annotations[singletonv1.AnnotationRelease] == string(p.UID) {
			released = append(released, *p)
		}
	}
	return released
}

// firstRealNode returns the name of a node that a kubelet runs (not a kwok one).
func firstRealNode(ctx context.Context) string {
	GinkgoHelper()
	nodes := &corev1.NodeList{}
	Expect(k8s.List(ctx, nodes)).To(Succeed())
	for i := range nodes.Items {
		if _, fake := nodes.Items[i].Annotations[kwokNodeAnnotation]; !fake {
			return nodes.Items[i].Name
		}
	}
	Fail("the cluster has no real node")
	return ""
}

// startKwokNode creates a node that a kwok process (from PATH) plays, waits until it is Ready,
// and returns what stops kwok. The node, tainted so that only pods that tolerate it go there, is
// deleted after the spec.
func startKwokNode(ctx context.Context, name string) (stop func()) {
	GinkgoHelper()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods: resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake"},
			Labels:      map[string]string{corev1.LabelHostname: name, "type": "kwok"},
		},
		Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: kwokNodeAnnotation, Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	Expect(k8s.Create(ctx, node)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8s.Delete(ctx, node))).To(Succeed())
	})

	stages := os.Getenv("E2E_KWOK_STAGES")
	Expect(stages).NotTo(BeEmpty(), "E2E_KWOK_STAGES lists kwok's stage files; run the suite with `make test-e2e`")
	cmd := exec.Command("kwok", "--kubeconfig="+os.Getenv("KUBECONFIG"), "--config="+stages,
		"--manage-single-node="+name, "--cidr=10.245.0.0/24", "--node-ip=10.99.0.250")
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Start()).To(Succeed(), "starting kwok (hack/build-kube.sh builds it; hack/test-e2e.sh puts it on PATH)")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			GinkgoWriter.Printf("kwok stopped: %v\n", <-exited)
		}
	}
	DeferCleanup(stop)
	Eventually(func(g Gomega) {
		select {
		case err := <-exited:
			stopped = true
			StopTrying(fmt.Sprintf("kwok exited: %v", err)).Now()
		default:
		}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(node), node)).To(Succeed())
		g.Expect(node.Status.Conditions).To(ContainElement(SatisfyAll(
			HaveField("Type", corev1.NodeReady), HaveField("Status", corev1.ConditionTrue))))
	}).WithContext(ctx).Should(Succeed(), "kwok reports the node %s Ready", name)
	return stop
}
