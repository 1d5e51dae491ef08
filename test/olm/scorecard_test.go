//go:build olm

package olm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// What hack/test-olm.sh built for the custom scorecard tests (cmd/scorecard-tests); empty when
// the repository has none.
var (
	// scorecardImage is the image bundle/tests/scorecard/config.yaml names, imported.
	scorecardImage = os.Getenv("OLM_SCORECARD_IMAGE")
	// scorecardRBAC is `kustomize build config/scorecard/rbac`: the ServiceAccount scorecard runs
	// the tests as, and its Role.
	scorecardRBAC = os.Getenv("OLM_SCORECARD_RBAC")
	// scorecardTests are the tests of the configuration's custom stage.
	scorecardTests = os.Getenv("OLM_SCORECARD_TESTS")
)

// runScorecardTests runs each custom scorecard test as scorecard would: a pod of the test image
// in the operator's namespace, under the scorecard ServiceAccount, printing a v1alpha3
// TestStatus. Every result must pass.
func runScorecardTests(ctx context.Context) {
	GinkgoHelper()
	if scorecardImage == "" {
		Skip("no custom scorecard tests (cmd/scorecard-tests) in this repository")
	}
	By("creating the scorecard ServiceAccount and its RBAC from config/scorecard/rbac")
	serviceAccount := createObjects(ctx, scorecardRBAC)
	Expect(serviceAccount).NotTo(BeEmpty(), "config/scorecard/rbac holds a ServiceAccount")

	svc := &corev1.Service{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: metricsService}, svc)).To(Succeed())
	// The cluster has no DNS: the test reaches the metrics Service by its cluster IP.
	metricsURL := fmt.Sprintf("https://%s:%d/metrics", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)

	tests := bytes.Fields([]byte(scorecardTests))
	names := make([]string, 0, len(tests))
	for _, test := range tests {
		name := "scorecard-" + string(test)
		names = append(names, name)
		Expect(k8s.Create(ctx, scorecardPod(name, serviceAccount, string(test),
			"--namespace", operatorNamespace, "--operator-namespace", operatorNamespace,
			"--workload-image", currentImage, "--metrics-url", metricsURL))).To(Succeed())
	}
	Expect(names).NotTo(BeEmpty(), "the scorecard configuration names custom tests")
	for _, name := range names {
		By("reading the TestStatus of pod " + name)
		Eventually(func(g Gomega) {
			pod := &corev1.Pod{}
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: name}, pod)).To(Succeed())
			g.Expect(pod.Status.Phase).To(Equal(corev1.PodSucceeded))
		}).WithContext(ctx).Should(Succeed())
		out, err := clientset.CoreV1().Pods(operatorNamespace).GetLogs(name, &corev1.PodLogOptions{}).DoRaw(ctx)
		Expect(err).NotTo(HaveOccurred())
		var status scapiv1alpha3.TestStatus
		Expect(json.Unmarshal(out, &status)).To(Succeed(), "the test prints a TestStatus: %s", out)
		Expect(status.Results).NotTo(BeEmpty())
		for _, r := range status.Results {
			Expect(r.State).To(Equal(scapiv1alpha3.PassState), "%s: %v\n%s", r.Name, r.Errors, r.Log)
		}
		Expect(k8s.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: name}})).To(Succeed())
	}
}

// scorecardPod runs one test of the scorecard image, as the restricted standard admits.
func scorecardPod(name, serviceAccount string, args ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: name},
		Spec: corev1.PodSpec{
			ServiceAccountName: serviceAccount,
			RestartPolicy:      corev1.RestartPolicyNever,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:            "test",
				Image:           scorecardImage,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            args,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					ReadOnlyRootFilesystem:   ptr.To(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// createObjects creates every object of a multi-document YAML file, and returns the name of the
// ServiceAccount among them.
func createObjects(ctx context.Context, path string) string {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close() //nolint:errcheck // Read only.
	var serviceAccount string
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		Expect(err).NotTo(HaveOccurred())
		if len(u.Object) == 0 {
			continue
		}
		Expect(k8s.Create(ctx, u)).To(Succeed())
		if u.GetKind() == "ServiceAccount" {
			serviceAccount = u.GetName()
		}
	}
	return serviceAccount
}
