package reportedstate

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// R2: a Deployment on three WECs at different rollout stages. kubectl rollout status and
// kubectl wait against the WDS finish only once all three have.
var _ = Describe("Multi-WEC reported state", func() {
	It("lets kubectl rollout status and kubectl wait finish only when every WEC has", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1", "wec2", "wec3")
		Expect(wdsClient.Create(ctx, deployment(ns, "web"))).To(Succeed())
		policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "web", Multi: true})
		ref := deploymentWorkload.ref(ns, "web")
		gvk := deploymentWorkload.gvk()

		By("reporting one WEC done, one half-way, one with a replica not yet available")
		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(2, 2))
		reportStatus(ctx, wecs[1], wdsName, ref, deploymentStatus(1, 1))
		reportStatus(ctx, wecs[2], wdsName, ref, deploymentStatus(2, 1))
		Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "web", kubestellar.LabelMultiWECStatus).Should(Equal("true"))
		Expect(labelOf(ctx, gvk, ns, "web", kubestellar.LabelExecutingCount)).To(BeEmpty(),
			"the executing count is there only while singleton reported state is requested")
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "web").ShouldNot(BeEmpty())
		Eventually(func(g Gomega) {
			rs := &ksReportedState{}
			g.Expect(wdsClient.Get(ctx, client.ObjectKey{Namespace: opsNS, Name: wdsName}, rs)).To(Succeed())
			g.Expect(rs.Status.Objects.MultiWEC).To(BeNumerically(">=", 1))
			g.Expect(rs.Status.WECs).To(BeNumerically(">=", 3))
		}).WithContext(ctx).Should(Succeed(), "the ReportedState counts the object and its WECs")
		wecObjects := func(wec, status string) float64 {
			return gaugeValue("reportedstate_wec_objects", map[string]string{"wec": wec, "status": status})
		}
		Eventually(func(g Gomega) {
			g.Expect(wecObjects(wecs[0], "Current")).To(Equal(1.0))
			g.Expect(wecObjects(wecs[1], "InProgress")).To(Equal(1.0))
			g.Expect(wecObjects(wecs[2], "InProgress")).To(Equal(1.0))
		}).WithContext(ctx).Should(Succeed(), "the per-WEC health metric follows each WEC")

		out, err := kubectl(ctx, kubeconfig, "rollout", "status", "deployment/web", "-n", ns, "--watch=false")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("Waiting"))
		Expect(out).NotTo(ContainSubstring("successfully rolled out"))
		out, err = kubectl(ctx, kubeconfig, "wait", "--for=condition=Available", "deployment/web", "-n", ns, "--timeout=1s")
		Expect(err).To(HaveOccurred(), "kubectl wait gives up while a WEC is not available: %s", out)

		By("finishing the rollout in the second WEC only")
		reportStatus(ctx, wecs[1], wdsName, ref, deploymentStatus(2, 2))
		Consistently(func() (string, error) {
			return kubectl(ctx, kubeconfig, "rollout", "status", "deployment/web", "-n", ns, "--watch=false")
		}).WithContext(ctx).WithTimeout(subSecondQuiet).Should(Not(ContainSubstring("successfully rolled out")))

		By("finishing it in the third WEC too")
		reportStatus(ctx, wecs[2], wdsName, ref, deploymentStatus(2, 2))
		out, err = kubectl(ctx, kubeconfig, "rollout", "status", "deployment/web", "-n", ns, "--timeout=30s")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("successfully rolled out"))
		out, err = kubectl(ctx, kubeconfig, "wait", "--for=condition=Available", "deployment/web", "-n", ns, "--timeout=30s")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(strings.TrimSpace(out)).To(HaveSuffix("condition met"))
		Eventually(func(g Gomega) {
			for _, wec := range wecs {
				g.Expect(wecObjects(wec, "Current")).To(Equal(1.0), wec)
				g.Expect(wecObjects(wec, "InProgress")).To(BeZero(), wec)
			}
		}).WithContext(ctx).Should(Succeed(), "every WEC counted Current, none InProgress any more")
		u, err := getObject(ctx, gvk, ns, "web")
		Expect(err).NotTo(HaveOccurred())
		Expect(u.GetGeneration()).To(Equal(int64(1)), "writing reported state never changes the generation")
	})
})
