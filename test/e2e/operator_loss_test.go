//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// The operator goes away with, or in the middle of, a hand-over. Selected pods are admitted
// only through the webhook (S3, docs/webhook.md), which the other replica serves.
var _ = Describe("The operator lost during hand-overs", Serial, func() {
	BeforeEach(func(ctx SpecContext) { scaleOperator(ctx, 2) })

	It("evicts the leader and the released pod at once, as a drain of their node does: the replacement is guarded and runs after", func(ctx SpecContext) {
		run := startSlowStopRun(ctx)
		created := watchCreatedPods(ctx, run.ns)
		leader := leaderPod(ctx)

		By("evicting the leader " + leader.Name + " and the released pod " + run.first.Name + " together")
		var wg sync.WaitGroup
		for _, pod := range []corev1.Pod{leader, run.first} {
			wg.Go(func() {
				defer GinkgoRecover()
				Expect(clientset.PolicyV1().Evictions(pod.Namespace).Evict(ctx, &policyv1.Eviction{
					ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name},
				})).To(Succeed(), "evicting %s", pod.Name)
			})
		}
		wg.Wait()

		second := waitForOnlyRunningPodReady(ctx, run.ns, run.first.Name)
		expectRunsInTurn(ctx, run.book, run.first.Name, second.Name)
		expectAllGuarded(created)
	})

	It("force-deletes the leader during each of five rollouts: no overlap, no unguarded pod, no storm", func(ctx SpecContext) {
		run := startSlowStopRun(ctx)
		created := watchCreatedPods(ctx, run.ns)
		names := make([]string, 0, 6)
		names = append(names, run.first.Name)
		current := run.first
		for i := range 5 {
			By(fmt.Sprintf("rollout %d: restarting it, then force-deleting the leader", i+1))
			restartRollout(ctx, run.d)
			// 0.3 to 1.5 s into the rollout, where an independent run found the overlaps.
			time.Sleep(300*time.Millisecond + rand.N(1200*time.Millisecond)) //nolint:gosec // not for security
			leader := leaderPod(ctx)
			Expect(k8s.Delete(ctx, &corev1.Pod{ObjectMeta: leader.ObjectMeta}, client.GracePeriodSeconds(0))).To(Succeed())
			next := waitForOnlyRunningPodReady(ctx, run.ns, current.Name)
			Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(&current), &corev1.Pod{}) }).
				WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "the old pod is gone")
			names = append(names, next.Name)
			current = next
			scaleOperator(ctx, 2)
		}
		expectRunsInTurn(ctx, run.book, names...)
		expectAllGuarded(created)
		Expect(len(created.pods())).To(BeNumerically("<=", 2*len(names)),
			"pods created: %v; a replica set fighting the operator makes many", created.names())
	})
})

// createdPods records every pod created in a namespace, as the watch delivers it.
type createdPods struct {
	mu   sync.Mutex
	list []corev1.Pod
}

func (c *createdPods) pods() []corev1.Pod {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]corev1.Pod(nil), c.list...)
}

func (c *createdPods) names() []string {
	pods := c.pods()
	names := make([]string, 0, len(pods))
	for i := range pods {
		names = append(names, pods[i].Name)
	}
	return names
}

// watchCreatedPods records, until the spec ends, every pod created in ns from now on.
func watchCreatedPods(ctx context.Context, ns string) *createdPods {
	GinkgoHelper()
	list, err := clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	Expect(err).NotTo(HaveOccurred())
	w, err := clientset.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.Stop)
	c := &createdPods{}
	go func() {
		for e := range w.ResultChan() {
			if pod, ok := e.Object.(*corev1.Pod); ok && e.Type == watch.Added {
				c.mu.Lock()
				c.list = append(c.list, *pod)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// expectAllGuarded checks that every pod created held the gate in its spec (S3).
func expectAllGuarded(c *createdPods) {
	GinkgoHelper()
	pods := c.pods()
	for i := range pods {
		Expect(podwebhook.HoldsGate(&pods[i])).To(BeTrue(), "pod %s was created without the gate", pods[i].Name)
	}
}
