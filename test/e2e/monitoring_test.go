//go:build e2e

package e2e

import (
	"os"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// The bundle's ServiceMonitor and PrometheusRule (config/prometheus), rendered by a real
// Prometheus Operator under the restrictions of OpenShift's user-workload monitoring and run by
// a real Prometheus (monitoring_stack_test.go): the scrape works with no file and no binding made
// by hand, per-object series keep their object's namespace and name, and the alerts fire in real
// faults and clear once they are gone (docs/monitoring.md).
var _ = Describe("Monitoring, as OpenShift's user-workload monitoring runs it", Ordered, Label("monitoring"), func() {
	var prom *prometheus
	var start time.Time
	BeforeAll(func(ctx SpecContext) {
		start = time.Now()
		prom = startMonitoring(ctx)
	}, NodeTimeout(5*time.Minute))
	AfterEach(func(ctx SpecContext) {
		if CurrentSpecReport().Failed() && prom != nil {
			prom.diagnose(ctx)
		}
	})

	It("scrapes every replica with the bundle's credentials, and no manager alert fires", func(ctx SpecContext) {
		d := &appsv1.Deployment{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: operatorDeployment}, d)).To(Succeed())
		Eventually(func(g Gomega) {
			up, err := prom.query(ctx, `up{job="`+metricsService+`"}`)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(up).To(HaveLen(int(*d.Spec.Replicas)), "one target per replica")
			for _, s := range up {
				g.Expect(s.Value).To(Equal(1.0), "target %s is up", s.Metric["instance"])
				g.Expect(s.Metric).To(HaveKeyWithValue("namespace", operatorNamespace))
			}
			info, err := prom.query(ctx, `singleton_operator_build_info{job="`+metricsService+`"}`)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info).To(HaveLen(int(*d.Spec.Replicas)), "each replica tells its build")
		}).WithContext(ctx).Should(Succeed())

		// Longer than an alert's `for` and two evaluations: a pending manager alert would fire.
		Consistently(func(g Gomega) {
			firing, err := prom.firing(ctx, map[string]string{"namespace": operatorNamespace})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(firing).NotTo(ContainElements(ContainSubstring("SingletonOperator")))
		}).WithContext(ctx).WithTimeout(25 * time.Second).WithPolling(time.Second).Should(Succeed())
	})

	It("has series of every StatefulSingleton metric family the README lists, per object under exported_namespace",
		func(ctx SpecContext) {
			ns := newRestrictedNamespace(ctx)
			createSingleton(ctx, ns, "db")
			d := deployment(ns, "db", restrictedContainer("app", "sh", "-c", stopsOnTerm))
			Expect(k8s.Create(ctx, d)).To(Succeed())
			first := waitForOnlyPodReady(ctx, ns, "db", "")
			restartRollout(ctx, d)
			waitForOnlyPodReady(ctx, ns, "db", first.UID)

			families := readmeFamilies()
			Expect(families).To(HaveKey("statefulsingleton_pods_may_run"), "the README's metrics table is read")
			for family, perObject := range families {
				selector := `{__name__=~"` + family + `(_bucket|_sum|_count)?"}`
				if perObject {
					selector = `{__name__=~"` + family + `(_bucket|_sum|_count)?", exported_namespace="` + ns + `", name="db"}`
				}
				Eventually(func(g Gomega) {
					series, err := prom.query(ctx, selector)
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(series).NotTo(BeEmpty())
					for _, s := range series {
						g.Expect(s.Metric).To(HaveKeyWithValue("namespace", operatorNamespace),
							"user-workload monitoring's enforced label")
					}
				}).WithContext(ctx).Should(Succeed(), "series of %s", selector)
			}

			By("counting and timing the pod webhook's admissions, the rollout's pod prepared")
			Eventually(func(g Gomega) {
				prepared, err := prom.query(ctx, `sum(singleton_operator_webhook_admissions_total{result="prepared"})`)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(prepared).To(ConsistOf(HaveField("Value", BeNumerically(">=", 2))))
				timed, err := prom.query(ctx, `sum by (webhook) (singleton_operator_webhook_admission_duration_seconds_count)`)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(timed).NotTo(BeEmpty())
			}).WithContext(ctx).Should(Succeed())
		})

	It("fires the StatefulSingleton alerts while two strays block a hand-over, and clears them once they stopped",
		func(ctx SpecContext) {
			ns := newRestrictedNamespace(ctx)
			By("running two pods app=db before any StatefulSingleton, which ignore SIGTERM for their 40 s of grace")
			strays := make([]*corev1.Pod, 0, 2)
			for _, name := range []string{"stray-1", "stray-2"} {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "db"}},
					Spec: corev1.PodSpec{
						Containers:                    []corev1.Container{restrictedContainer("app", "sh", "-c", ignoresTerm)},
						TerminationGracePeriodSeconds: ptr.To[int64](40),
					},
				}
				Expect(k8s.Create(ctx, pod)).To(Succeed())
				strays = append(strays, pod)
			}
			Eventually(func(g Gomega) {
				for _, p := range strays {
					got := &corev1.Pod{}
					g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
					g.Expect(got.Status.Phase).To(Equal(corev1.PodRunning))
				}
			}).WithContext(ctx).Should(Succeed())

			By("selecting them with a StatefulSingleton whose transitions may take 1 s, and starting a Deployment under it")
			ss := &singletonv1.StatefulSingleton{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
				Spec: singletonv1.StatefulSingletonSpec{
					Selector:          metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
					MaxTransitionTime: 1,
				},
			}
			Expect(k8s.Create(ctx, ss)).To(Succeed())
			waitForGuardEntry(ctx, ss)
			Expect(k8s.Create(ctx, deployment(ns, "db", restrictedContainer("app", "sh", "-c", stopsOnTerm)))).To(Succeed())

			By("firing while the operator waits for the strays it asked to stop")
			object := map[string]string{"object_namespace": ns, "name": "db"}
			Eventually(prom.firing).WithContext(ctx).WithArguments(object).WithTimeout(time.Minute).Should(ContainElements(
				"StatefulSingletonUnguardedPods", "StatefulSingletonMoreThanOneMayRun", "StatefulSingletonTransitionOverdue"))
			Expect(prom.query(ctx, `object:statefulsingleton_status_phase:max{object_namespace="`+ns+`", name="db"} == 1`)).
				To(ConsistOf(HaveField("Metric", HaveKeyWithValue("phase", "Failed"))), "the phase gauge says Failed")
			Expect(prom.query(ctx, `statefulsingleton_status_condition{exported_namespace="`+ns+`", name="db", type="Degraded"} == 1`)).
				To(ConsistOf(HaveField("Metric", HaveKeyWithValue("status", "True"))), "the condition gauge says Degraded")
			all, err := prom.alerts(ctx)
			Expect(err).NotTo(HaveOccurred())
			for _, a := range all {
				if a.Labels["object_namespace"] == ns {
					Expect(a.Labels).To(HaveKeyWithValue("namespace", operatorNamespace),
						"routed to the operator's namespace, as user-workload monitoring routes it")
				}
			}

			By("clearing once the kubelet stopped the strays and the Deployment's pod is released")
			waitForOnlyPodReady(ctx, ns, "db", "")
			Eventually(prom.firing).WithContext(ctx).WithArguments(object).WithTimeout(time.Minute).Should(BeEmpty())

			By("removing the StatefulSingleton's status series once it is deleted")
			phase := `statefulsingleton_status_phase{exported_namespace="` + ns + `", name="db"}`
			Expect(prom.query(ctx, phase)).NotTo(BeEmpty())
			Expect(k8s.Delete(ctx, ss)).To(Succeed())
			Eventually(prom.query).WithContext(ctx).WithArguments(phase).WithTimeout(time.Minute).Should(BeEmpty())
			Expect(prom.query(ctx, `statefulsingleton_status_condition{exported_namespace="`+ns+`", name="db"}`)).To(BeEmpty())
		})

	It("fires ReportedStateClusterUnreachable while the ITS does not answer, and clears it when the ReportedState goes",
		func(ctx SpecContext) {
			secret := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: "e2e-dead-its"},
				Data: map[string][]byte{"kubeconfig": []byte(`apiVersion: v1
kind: Config
clusters: [{name: its, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: op, user: {token: none}}]
contexts: [{name: its, context: {cluster: its, user: op}}]
current-context: its
`)},
			}
			Expect(k8s.Create(ctx, secret)).To(Succeed())
			DeferCleanup(func(ctx SpecContext) { Expect(ignoreGone(k8s.Delete(ctx, secret))).To(Succeed()) })
			rs := &ksv1alpha1.ReportedState{
				ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: "e2e-dead-its"},
				Spec: ksv1alpha1.ReportedStateSpec{
					WDSName: "e2e",
					ITS:     ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: secret.Name}},
				},
			}
			Expect(k8s.Create(ctx, rs)).To(Succeed())
			DeferCleanup(func(ctx SpecContext) { Expect(ignoreGone(k8s.Delete(ctx, rs))).To(Succeed()) })

			object := map[string]string{"object_namespace": operatorNamespace, "name": rs.Name, "cluster": "its"}
			Eventually(prom.firing).WithContext(ctx).WithArguments(object).WithTimeout(2 * time.Minute).
				Should(ConsistOf("ReportedStateClusterUnreachable"))
			condition := `reportedstate_status_condition{name="` + rs.Name + `", type="Connected"} == 1`
			Expect(prom.query(ctx, condition)).To(ConsistOf(HaveField("Metric", HaveKeyWithValue("status", "False"))),
				"the condition gauge says not Connected")

			Expect(k8s.Delete(ctx, rs)).To(Succeed())
			Eventually(prom.firing).WithContext(ctx).WithArguments(object).WithTimeout(time.Minute).Should(BeEmpty())
			Eventually(prom.query).WithContext(ctx).WithArguments(condition).WithTimeout(time.Minute).Should(BeEmpty(),
				"a deleted ReportedState's condition series are removed")
		})

	It("answers every panel of the dashboard from the real Prometheus, and draws it", func(ctx SpecContext) {
		By("rolling a StatefulSingleton's Deployment out four times, each hand-over scraped before the next")
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "db")
		d := deployment(ns, "db", restrictedContainer("app", "sh", "-c", stopsOnTerm))
		Expect(k8s.Create(ctx, d)).To(Succeed())
		pod := waitForOnlyPodReady(ctx, ns, "db", "")
		handOvers := `sum(statefulsingleton_handover_gap_seconds_count{exported_namespace="` + ns + `"})`
		for i := 1; i <= 4; i++ {
			restartRollout(ctx, d)
			pod = waitForOnlyPodReady(ctx, ns, "db", pod.UID)
			Eventually(prom.query).WithContext(ctx).WithArguments(handOvers).
				Should(ConsistOf(HaveField("Value", BeNumerically(">=", i))))
		}

		reportThroughOwnCluster(ctx, prom)
		Eventually(prom.query).WithContext(ctx).
			WithArguments(`reportedstate_status_condition{name="e2e-own-cluster", type="Ready", status="True"} == 1`).
			Should(HaveLen(1), "the ReportedState of the operator's own cluster is Ready")
		checkDashboard(ctx, prom, start)
	})
})

// stopsOnTerm is an application that runs until SIGTERM, then exits at once.
const stopsOnTerm = `trap 'exit 0' TERM; while true; do sleep 1; done`

// ignoresTerm is an application that runs until it is killed.
const ignoresTerm = `trap '' TERM; while true; do sleep 1; done`

// readmeFamilies reads the StatefulSingleton and ReportedState metric families from the
// README's metrics table, each with whether its series are per object ({namespace,name}).
// ReportedState families need a KubeStellar WDS and ITS, which test/integration/reportedstate
// provides; here only the StatefulSingleton ones are returned.
func readmeFamilies() map[string]bool {
	GinkgoHelper()
	readme, err := os.ReadFile("../../README.md")
	Expect(err).NotTo(HaveOccurred())
	row := regexp.MustCompile("(?m)^\\| `(statefulsingleton_[a-z_]+)(\\{[^}]*\\})?`")
	families := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		families[m[1]] = regexp.MustCompile(`\bname\b`).MatchString(m[2])
	}
	return families
}
