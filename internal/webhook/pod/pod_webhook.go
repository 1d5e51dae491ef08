package pod

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// The webhook configuration (config/webhook/manifests.yaml). failurePolicy Ignore: a pod no
// StatefulSingleton selects never waits for the webhook, and a selected pod that escapes it
// is held by the controller (S3); docs/webhook.md says why. The objectSelector keeps the
// operator's own pods out, so the operator never depends on itself to start.
// +kubebuilder:webhook:path=/mutate--v1-pod,mutating=true,failurePolicy=ignore,sideEffects=None,groups="",resources=pods,verbs=create,versions=v1,name=mpod.statefulsingleton.com,admissionReviewVersions=v1,reinvocationPolicy=IfNeeded,timeoutSeconds=5,patch=`{"objectSelector":{"matchExpressions":[{"key":"app.kubernetes.io/name","operator":"NotIn","values":["singleton-operator"]}]}}`

// Defaulter prepares, at CREATE, the pods that a StatefulSingleton of their namespace
// selects.
type Defaulter struct {
	// Reader lists StatefulSingletons; the manager's cached client.
	Reader client.Reader
	// GateImage is the operator's image, which holds the gate.
	GateImage string
}

// SetupPodWebhookWithManager registers the defaulter on the manager's webhook server at
// /mutate--v1-pod.
func SetupPodWebhookWithManager(mgr ctrl.Manager, gateImage string) error {
	if gateImage == "" {
		return errors.New("the gate image is empty: set --gate-image or RELATED_IMAGE_GATE")
	}
	return ctrl.NewWebhookManagedBy(mgr, &corev1.Pod{}).
		WithDefaulter(&Defaulter{Reader: mgr.GetClient(), GateImage: gateImage}).
		Complete()
}

var _ admission.Defaulter[*corev1.Pod] = &Defaulter{}

// Default prepares the pod when a StatefulSingleton selects it, and leaves it unchanged
// otherwise. It never rejects a pod: when it cannot decide, the pod goes on unprepared, and
// the controller treats it as unguarded (S3).
func (d *Defaulter) Default(ctx context.Context, pod *corev1.Pod) error {
	log := logf.FromContext(ctx)
	if IsPrepared(pod) {
		return nil
	}
	namespace := podNamespace(ctx, pod)
	ss, err := d.selecting(ctx, namespace, pod.Labels)
	if err != nil {
		log.Error(err, "Cannot list StatefulSingletons; the pod is left unprepared", "namespace", namespace)
		return nil
	}
	if ss == nil {
		return nil
	}
	if err := Inject(pod, InjectOptions{Singleton: ss.Name, GateImage: d.GateImage}); err != nil {
		log.Error(err, "Cannot prepare the pod; it is left unprepared", "statefulSingleton", ss.Name)
		return nil
	}
	log.V(1).Info("Prepared the pod", "statefulSingleton", ss.Name)
	return nil
}

// podNamespace is the pod's namespace; pods created by controllers often carry it only in
// the request.
func podNamespace(ctx context.Context, pod *corev1.Pod) string {
	if pod.Namespace != "" {
		return pod.Namespace
	}
	if req, err := admission.RequestFromContext(ctx); err == nil {
		return req.Namespace
	}
	return ""
}

// selecting returns the StatefulSingleton of the namespace that selects a pod with these
// labels, or nil.
func (d *Defaulter) selecting(ctx context.Context, namespace string, podLabels map[string]string,
) (*singletonv1.StatefulSingleton, error) {
	list := &singletonv1.StatefulSingletonList{}
	if err := d.Reader.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing StatefulSingletons in %q: %w", namespace, err)
	}
	return Selecting(list.Items, podLabels), nil
}

// Selecting returns, of the StatefulSingletons given, the one that selects a pod with these
// labels: an empty or invalid selector selects nothing; of several, the oldest wins, the
// name breaking ties. Nil when none selects the pod.
func Selecting(items []singletonv1.StatefulSingleton, podLabels map[string]string) *singletonv1.StatefulSingleton {
	var best *singletonv1.StatefulSingleton
	for i := range items {
		ss := &items[i]
		if !ss.DeletionTimestamp.IsZero() || !selects(&ss.Spec.Selector, podLabels) {
			continue
		}
		if best == nil || older(ss, best) {
			best = ss
		}
	}
	return best
}

func selects(selector *metav1.LabelSelector, podLabels map[string]string) bool {
	if len(selector.MatchLabels) == 0 && len(selector.MatchExpressions) == 0 {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(podLabels))
}

func older(a, b *singletonv1.StatefulSingleton) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}
