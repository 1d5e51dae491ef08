package checks

import (
	"context"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// WebhookGatesSelectedPods checks that the pod webhook prepares (gates) a pod that a
// StatefulSingleton selects, and leaves a pod it does not select exactly as sent. The pods are
// created with server-side dry run, which runs the admission webhooks and stores nothing, so
// the check needs no kubelet and starts no container.
func WebhookGatesSelectedPods(ctx context.Context, env Env, r *Result) {
	name := uniqueName("scorecard-webhook")
	ss := statefulSingleton(env.Namespace, name, name)
	if err := env.Client.Create(ctx, ss); err != nil {
		r.Errorf("creating StatefulSingleton %s/%s: %v", env.Namespace, name, err)
		return
	}
	defer func() {
		if err := client.IgnoreNotFound(env.Client.Delete(context.WithoutCancel(ctx), ss)); err != nil {
			r.Logf("cleanup: deleting StatefulSingleton %s: %v", name, err)
		}
	}()
	r.Logf("created StatefulSingleton %s/%s selecting %s=%s", env.Namespace, name, LabelApp, name)

	// The webhook reads StatefulSingletons from its cache: wait until a selected pod comes back
	// prepared.
	var selected *corev1.Pod
	ok, err := poll(ctx, env.Timeout, func(ctx context.Context) (bool, error) {
		selected = dryRunPod(env, name+"-selected", name)
		if err := env.Client.Create(ctx, selected, client.DryRunAll); err != nil {
			return false, err
		}
		return podwebhook.IsPrepared(selected), nil
	})
	if !ok {
		r.Failf("a pod selected by StatefulSingleton %s was not prepared by the webhook within %s (last error: %v)",
			name, env.Timeout, err)
		return
	}
	r.Logf("selected pod prepared: label %s=true, init containers %v, readiness gates %v",
		singletonv1.LabelManaged, containerNames(selected.Spec.InitContainers), selected.Spec.ReadinessGates)
	if !hasOurTouch(selected) {
		r.Failf("the prepared pod carries neither the gate's init container %s nor the readiness gate %s",
			podwebhook.InstallContainer, singletonv1.ReadinessGate)
	}

	// Other admission plugins (OpenShift's SCC, mesh injectors) may change a pod too: look only
	// at what this webhook adds.
	sent := dryRunPod(env, name+"-unselected", name+"-other")
	unselected := sent.DeepCopy()
	if err := env.Client.Create(ctx, unselected, client.DryRunAll); err != nil {
		r.Errorf("dry-run creating an unselected pod: %v", err)
		return
	}
	switch {
	case podwebhook.IsPrepared(unselected), hasOurTouch(unselected):
		r.Failf("a pod no StatefulSingleton selects was changed by the webhook: "+
			"labels %v, init containers %v, readiness gates %v",
			unselected.Labels, containerNames(unselected.Spec.InitContainers), unselected.Spec.ReadinessGates)
	case !reflect.DeepEqual(unselected.Spec.Containers[0].Command, sent.Spec.Containers[0].Command):
		r.Failf("the command of a pod no StatefulSingleton selects was changed to %q", unselected.Spec.Containers[0].Command)
	default:
		r.Logf("unselected pod left as sent")
	}
}

// hasOurTouch reports whether the pod holds the gate's installer or the operator's readiness gate.
func hasOurTouch(pod *corev1.Pod) bool {
	return slices.Contains(containerNames(pod.Spec.InitContainers), podwebhook.InstallContainer) ||
		slices.ContainsFunc(pod.Spec.ReadinessGates, func(g corev1.PodReadinessGate) bool {
			return g.ConditionType == singletonv1.ReadinessGate
		})
}

func containerNames(cs []corev1.Container) []string {
	names := make([]string, 0, len(cs))
	for i := range cs {
		names = append(names, cs[i].Name)
	}
	return names
}

// dryRunPod is a pod labeled LabelApp=app running the check's workload.
func dryRunPod(env Env, name, app string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: env.Namespace, Name: name, Labels: map[string]string{LabelApp: app}},
		Spec:       podSpec(env.WorkloadImage),
	}
}
