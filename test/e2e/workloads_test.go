//go:build e2e

package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// busyboxImage is imported into the local cluster by hack/cluster.sh up.
const busyboxImage = "localhost/busybox:1.35"

// restrictedContainer returns a container that the restricted Pod Security Standard admits.
func restrictedContainer(name string, command ...string) corev1.Container {
	return corev1.Container{
		Name:            name,
		Image:           busyboxImage,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         command,
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			RunAsUser:                ptr.To[int64](1000),
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
}

// deployment returns a one-replica Deployment whose pods carry the label app=<name>.
func deployment(namespace, name string, container corev1.Container) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					Containers:                    []corev1.Container{container},
				},
			},
		},
	}
}

// slowStopRun is a one-replica Deployment app=db under a StatefulSingleton db, whose
// application reports to its ledger and takes 2 s to stop after SIGTERM, so that a hand-over's
// new pod exists while the old application still runs.
type slowStopRun struct {
	book  *ledger
	ns    string
	ss    *singletonv1.StatefulSingleton
	d     *appsv1.Deployment
	first corev1.Pod
}

// startSlowStopRun creates a slowStopRun in a new restricted namespace (mutate adjusts the
// Deployment first) and waits until its first pod is Ready.
func startSlowStopRun(ctx context.Context, mutate ...func(*appsv1.Deployment)) slowStopRun {
	GinkgoHelper()
	r := slowStopRun{book: startLedger(), ns: newRestrictedNamespace(ctx)}
	r.ss = createSingleton(ctx, r.ns, "db")
	r.d = deployment(r.ns, "db", restrictedContainer("app", "sh", "-c", slowStopScript(r.book.URL)))
	for _, m := range mutate {
		m(r.d)
	}
	Expect(k8s.Create(ctx, r.d)).To(Succeed())
	r.first = waitForOnlyPodReady(ctx, r.ns, "db", "")
	return r
}
