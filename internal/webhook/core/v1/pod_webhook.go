package v1

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// The main webhook configuration (config/webhook/manifests.yaml, and the CSV's
// webhookdefinitions): every pod CREATE outside the operator's own pods, failurePolicy Ignore,
// so that a pod no StatefulSingleton selects never waits for the operator. The pods a
// StatefulSingleton selects are also sent to GuardPath by the guard configuration that the
// operator keeps (internal/controller/webhookguard), with failurePolicy Fail; docs/webhook.md
// says why. The objectSelector keeps the operator's own pods out (OperatorPodsExclusion), so
// the operator never depends on itself to start.
// +kubebuilder:webhook:path=/mutate--v1-pod,mutating=true,failurePolicy=ignore,sideEffects=None,groups="",resources=pods,verbs=create,versions=v1,name=mpod.statefulsingleton.com,admissionReviewVersions=v1,reinvocationPolicy=IfNeeded,timeoutSeconds=5,patch=`{"objectSelector":{"matchExpressions":[{"key":"app.kubernetes.io/name","operator":"NotIn","values":["singleton-operator"]}]}}`

const (
	// WebhookName is the name of the pod webhook in the main configuration.
	WebhookName = "mpod.statefulsingleton.com"
	// MainPath serves the main configuration's webhook: it never refuses a pod it cannot
	// decide about.
	MainPath = "/mutate--v1-pod"
	// GuardPath serves the guard configuration's entries, which send only the pods a
	// StatefulSingleton selects: it refuses a pod it cannot decide about.
	GuardPath = "/mutate--v1-pod-guard"
	// operatorName is the app.kubernetes.io/name of the operator's own pods.
	operatorName = "singleton-operator"
)

// OperatorPodsExclusion is the objectSelector requirement that keeps the operator's own pods
// out of every webhook of the operator (the marker above spells out the same one), so that a
// down operator never blocks its own start.
func OperatorPodsExclusion() metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{
		Key: "app.kubernetes.io/name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{operatorName},
	}
}

// Defaulter prepares, at CREATE, the pods that a StatefulSingleton of their namespace
// selects. One Defaulter serves each path: the main one (Guard false) and the guard one
// (Guard true).
type Defaulter struct {
	// Reader lists StatefulSingletons; the manager's cached client.
	Reader client.Reader
	// APIReader lists StatefulSingletons from the API server, past the cache; the guard path
	// asks it when the cache cannot say that a StatefulSingleton selects the pod.
	APIReader client.Reader
	// GateImage is the operator's image, which holds the gate.
	GateImage string
	// Guard says that this Defaulter serves GuardPath: a StatefulSingleton's guard entry sent
	// the pod, so a pod it cannot decide about is refused rather than let through unprepared.
	Guard bool
	// Supervision says where supervising gates reach the operator's channel, or why they
	// cannot (then pods get no supervision); nil when the channel is off.
	Supervision func(context.Context) (Supervision, error)
	// Images reads the ENTRYPOINT and CMD of the images of application containers without a
	// command, so that they are wrapped as those with one; nil turns that off (they are held by
	// the sidecar).
	Images *ImageResolution
}

// SetupPodWebhookWithManager registers the defaulters on the manager's webhook server, at
// MainPath and GuardPath, and starts the StatefulSingleton informer they read with the cache,
// so that the cache's sync (the readiness check) covers it on every replica. images, when not
// nil, reads the images of containers without a command; its missing readers are the
// manager's.
func SetupPodWebhookWithManager(ctx context.Context, mgr ctrl.Manager, gateImage string,
	supervision func(context.Context) (Supervision, error), images *ImageResolution,
) error {
	if gateImage == "" {
		return errors.New("the gate image is empty: set --gate-image or RELATED_IMAGE_GATE")
	}
	if images != nil {
		if images.Secrets == nil {
			images.Secrets = mgr.GetAPIReader()
		}
		if images.Recorder == nil {
			images.Recorder = mgr.GetEventRecorder("pod-webhook")
		}
	}
	if _, err := mgr.GetCache().GetInformer(ctx, &singletonv1.StatefulSingleton{},
		cache.BlockUntilSynced(false)); err != nil {
		return fmt.Errorf("starting the StatefulSingleton informer: %w", err)
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &corev1.Pod{}).
		WithDefaulter(&Defaulter{
			Reader: mgr.GetClient(), GateImage: gateImage, Supervision: supervision, Images: images,
		}).
		Complete(); err != nil {
		return err
	}
	return ctrl.NewWebhookManagedBy(mgr, &corev1.Pod{}).
		WithDefaulter(&Defaulter{
			Reader: mgr.GetClient(), APIReader: mgr.GetAPIReader(), GateImage: gateImage, Guard: true,
			Supervision: supervision, Images: images,
		}).
		WithDefaulterCustomPath(GuardPath).
		Complete()
}

var _ admission.Defaulter[*corev1.Pod] = &Defaulter{}

// Default prepares the pod when a StatefulSingleton selects it, and leaves it unchanged
// otherwise. A selected pod it cannot prepare is refused, on either path. When it cannot tell
// whether a StatefulSingleton selects the pod, the main path lets the pod through unprepared
// (the controller treats it as unguarded, S3) and the guard path refuses it.
func (d *Defaulter) Default(ctx context.Context, pod *corev1.Pod) error {
	start := time.Now()
	result, err := d.admit(ctx, pod)
	webhook := webhookMain
	if d.Guard {
		webhook = webhookGuard
	}
	observeAdmission(webhook, result, time.Since(start))
	return err
}

// admit is Default, and says what it decided (a result of the admissions metric).
func (d *Defaulter) admit(ctx context.Context, pod *corev1.Pod) (string, error) {
	log := logf.FromContext(ctx).WithValues("guard", d.Guard)
	if IsPrepared(pod) {
		return resultAlreadyPrepared, nil
	}
	namespace := podNamespace(ctx, pod)
	ss, err := d.selecting(ctx, namespace, pod.Labels)
	if err != nil {
		if d.Guard {
			log.Error(err, "Cannot tell whether a StatefulSingleton selects the pod; refusing it", "namespace", namespace)
			return resultError, undecided(err)
		}
		log.Error(err, "Cannot list StatefulSingletons; the pod is left unprepared", "namespace", namespace)
		return resultError, nil
	}
	if ss == nil {
		return resultUnselected, nil
	}
	opts := InjectOptions{Singleton: ss.Name, GateImage: d.GateImage}
	fastHandOver := d.supervision(ctx, ss, &opts)
	unreadImage := d.resolveImages(ctx, pod, ss, &opts)
	if err := Inject(pod, opts); err != nil {
		log.Error(err, "Cannot prepare the pod; refusing it", "statefulSingleton", klog.KObj(ss))
		return resultDenied, fmt.Errorf("StatefulSingleton %s selects this pod, and singleton-operator cannot prepare it: %w",
			klog.KObj(ss), err)
	}
	if _, ok := SupervisedContainers(pod); !ok && fastHandOver == FastHandOverSupervised {
		fastHandOver = fastHandOverOff + "a container without a command is held by the sidecar, which no gate supervises"
		if unreadImage != "" {
			fastHandOver += " (its image could not be read: " + unreadImage + ")"
		}
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[singletonv1.AnnotationFastHandOver] = fastHandOver
	log.V(1).Info("Prepared the pod", "statefulSingleton", klog.KObj(ss), "fastHandOver", fastHandOver)
	return resultPrepared, nil
}

// Values of AnnotationFastHandOver.
const (
	FastHandOverSupervised = "Supervised"
	fastHandOverOff        = "Off: "
)

// supervision sets the supervision of opts when the StatefulSingleton wants the fast hand-over
// and the channel can be reached, and says what the pod gets, for AnnotationFastHandOver.
func (d *Defaulter) supervision(ctx context.Context, ss *singletonv1.StatefulSingleton, opts *InjectOptions) string {
	switch {
	case ss.Spec.FastHandOver == singletonv1.FastHandOverDisabled:
		return fastHandOverOff + "spec.fastHandOver is Disabled"
	case d.Supervision == nil:
		return fastHandOverOff + "the operator runs without the gate channel"
	}
	s, err := d.Supervision(ctx)
	if err != nil {
		logf.FromContext(ctx).Info("No fast hand-over for the pod", "reason", err.Error())
		return fastHandOverOff + err.Error()
	}
	opts.Supervision = &s
	return FastHandOverSupervised
}

// undecided is the refusal of a pod the guard path cannot decide about: 503, since the same
// request succeeds once the operator reads StatefulSingletons again.
func undecided(err error) error {
	return apierrors.NewServiceUnavailable(fmt.Sprintf(
		"singleton-operator cannot tell whether a StatefulSingleton selects this pod (%v); "+
			"a StatefulSingleton's webhook entry matched it, so it is refused rather than created unguarded", err))
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
// labels, or nil. The guard path does not trust a cache that finds none, or fails: the guard
// entry that sent the pod says a StatefulSingleton selects it, and this replica's cache may lag
// behind the one that wrote the entry. It asks the API server then.
func (d *Defaulter) selecting(ctx context.Context, namespace string, podLabels map[string]string,
) (*singletonv1.StatefulSingleton, error) {
	ss, err := listSelecting(ctx, d.Reader, namespace, podLabels)
	if !d.Guard || (err == nil && ss != nil) {
		return ss, err
	}
	if d.APIReader == nil {
		return nil, errors.New("the guard path has no API reader")
	}
	if err != nil {
		logf.FromContext(ctx).V(1).Info("The cache cannot list StatefulSingletons; asking the API server",
			"namespace", namespace, "reason", err.Error())
	}
	return listSelecting(ctx, d.APIReader, namespace, podLabels)
}

func listSelecting(ctx context.Context, reader client.Reader, namespace string, podLabels map[string]string,
) (*singletonv1.StatefulSingleton, error) {
	list := &singletonv1.StatefulSingletonList{}
	if err := reader.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing StatefulSingletons in %q: %w", namespace, err)
	}
	return Selecting(list.Items, podLabels), nil
}
