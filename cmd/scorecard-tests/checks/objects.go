package checks

import (
	"crypto/rand"
	"encoding/hex"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// LabelApp is the label a check's workload and StatefulSingleton selector use.
const LabelApp = "scorecard.statefulsingleton.com/app"

// uniqueName is prefix and a random suffix, so that checks run twice never collide.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// statefulSingleton selects the pods labeled LabelApp=app.
func statefulSingleton(namespace, name, app string) *singletonv1.StatefulSingleton {
	return &singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: singletonv1.StatefulSingletonSpec{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{LabelApp: app}},
		},
	}
}

// podSpec runs `/gate idle` from the operator's image (it blocks until SIGTERM), under the
// restricted Pod Security Standard.
func podSpec(image string) corev1.PodSpec {
	return corev1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To[int64](5),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To[int64](65532),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:            "app",
			Image:           image,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         []string{"/gate", "idle"},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				ReadOnlyRootFilesystem:   ptr.To(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}
}
