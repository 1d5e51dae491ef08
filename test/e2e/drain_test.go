//go:build e2e

package e2e

import (
	"context"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// kwokNodeAnnotation marks the nodes a kwok process plays (node_loss_test.go).
const kwokNodeAnnotation = "kwok.x-k8s.io/node"

var _ = Describe("kubectl drain of the node that runs the released pod", Serial, func() {
	It("stops it first; the replacement, scheduled once the node is uncordoned, runs after it", func(ctx SpecContext) {
		run := startSlowStopRun(ctx)
		first := run.first

		By("draining the node: cordon, then evict the pod (kubectl waits until it is gone)")
		node := first.Spec.NodeName
		DeferCleanup(func(ctx SpecContext) { kubectl(ctx, "uncordon", node) })
		kubectl(ctx, "drain", node, "--pod-selector=app=db", "--ignore-daemonsets", "--delete-emptydir-data",
			"--timeout=120s")
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&first), &corev1.Pod{})).
			To(MatchError(ContainSubstring("not found")), "the drained pod is gone")

		By("uncordoning the node: the replacement is scheduled, released and Ready")
		kubectl(ctx, "uncordon", node)
		second := waitForOnlyPodReady(ctx, run.ns, "db", first.UID)
		expectRunsInTurn(ctx, run.book, first.Name, second.Name)
	})
})

// kubectl runs kubectl (from PATH, KUBECONFIG from the environment, as hack/test-e2e.sh sets
// them) and fails the spec with its output if it fails.
func kubectl(ctx context.Context, args ...string) {
	GinkgoHelper()
	out, err := exec.CommandContext(ctx, "kubectl", args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "kubectl %v:\n%s", args, out)
	GinkgoWriter.Printf("kubectl %v:\n%s", args, out)
}
