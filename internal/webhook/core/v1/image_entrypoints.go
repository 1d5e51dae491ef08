package v1

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
)

// The webhook reads a pull secret only by name, when a pod it prepares names it in
// imagePullSecrets and has an application container without a command: never a list or a
// watch. Its ClusterRole does not allow it (the operator's own Secrets stay in its namespace):
// the ClusterRole pull-secret-reader (config/rbac/pull_secret_reader_role.yaml), bound by the
// admin in the namespaces that want it, does. A Secret it may not read is skipped, and the image
// is read anonymously.

const (
	// ReasonImageNotResolved is the reason of the Warning event on a StatefulSingleton whose
	// pod has an application container without a command whose image could not be read: it is
	// held by the sidecar, and its hand-over is slower.
	ReasonImageNotResolved = "ImageNotResolved"
	actionPrepare          = "Prepare"
	// maxEventNote is below the 1 kB the API server accepts in an event's note.
	maxEventNote = 1000
	// PullSecretReaderRole is the ClusterRole (config/rbac, with the kustomize name prefix)
	// that lets the webhook read pull secrets where it is bound.
	PullSecretReaderRole = "singleton-operator-pull-secret-reader"
	// DefaultImageBudget is how long the webhook waits, by default, for the images of one pod;
	// well inside the webhook's 5 s timeout, with the StatefulSingletons' list before it.
	DefaultImageBudget = 2 * time.Second
)

// ImageResolution says how the webhook reads the ENTRYPOINT and CMD of the images of
// application containers without a command (docs/gate.md, "Containers without a command").
type ImageResolution struct {
	// Resolver reads images from their registries, with its cache.
	Resolver *imageconfig.Resolver
	// Secrets reads the pods' pull secrets, past the manager's cache; SetupPodWebhookWithManager
	// sets the manager's API reader when nil.
	Secrets client.Reader
	// Budget bounds the reading of one pod's images; DefaultImageBudget when 0.
	Budget time.Duration
	// Recorder records ReasonImageNotResolved; SetupPodWebhookWithManager sets the manager's
	// when nil.
	Recorder events.EventRecorder
}

// resolveImages reads the processes of the images of the pod's application containers without
// a command into opts.Images, within the budget, and says why for those it could not read:
// logged, recorded as a Warning event on the StatefulSingleton, and returned for the pod's
// fast-hand-over annotation ("" when every one was read, or there was none to read).
func (d *Defaulter) resolveImages(ctx context.Context, pod *corev1.Pod, ss *singletonv1.StatefulSingleton,
	opts *InjectOptions,
) string {
	r := d.Images
	if r == nil || r.Resolver == nil || hasGate(&pod.Spec) {
		return ""
	}
	var todo []*corev1.Container
	for _, i := range appContainers(pod) {
		if c := &pod.Spec.Containers[i]; len(c.Command) == 0 {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return ""
	}
	budget := r.Budget
	if budget <= 0 {
		budget = DefaultImageBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	namespace := podNamespace(ctx, pod)

	found, reasons := readImages(ctx, r, todo, namespace, pod.Spec.ImagePullSecrets)
	var failed []string
	for i, c := range todo {
		if reasons[i] != "" {
			failed = append(failed, fmt.Sprintf("container %q (image %s): %s", c.Name, c.Image, reasons[i]))
			continue
		}
		if opts.Images == nil {
			opts.Images = map[string]ImageEntrypoint{}
		}
		opts.Images[c.Name] = found[i]
	}
	if len(failed) == 0 {
		return ""
	}
	reason := strings.Join(failed, "; ")
	logf.FromContext(ctx).Info("Cannot read the process of an image; its container is held by the sidecar",
		"statefulSingleton", klog.KObj(ss), "reason", reason)
	if r.Recorder != nil {
		note := fmt.Sprintf("Pod %s: the ENTRYPOINT and CMD of an image could not be read, so its container, "+
			"which has no command, is held by the sidecar and starts only after the release (a slower hand-over; "+
			"set the container's command to avoid it): %s", podName(pod), reason)
		if len(note) > maxEventNote {
			note = note[:maxEventNote]
		}
		r.Recorder.Eventf(ss, nil, corev1.EventTypeWarning, ReasonImageNotResolved, actionPrepare, "%s", note)
	}
	return reason
}

// readImages reads the processes of the containers' images at once, with the pull secrets
// named; for each container, the entry, or why not.
func readImages(ctx context.Context, r *ImageResolution, todo []*corev1.Container, namespace string,
	pullSecrets []corev1.LocalObjectReference,
) ([]ImageEntrypoint, []string) {
	reasons := make([]string, len(todo))
	found := make([]ImageEntrypoint, len(todo))
	keychain, forbidden, err := imageconfig.PullKeychain(ctx, r.Secrets, namespace, pullSecrets)
	if err != nil {
		for i := range todo {
			reasons[i] = err.Error()
		}
		return found, reasons
	}
	// The credentials' domain, under which the resolver remembers failures: the namespace and
	// the secrets named, so that a pod with a pull secret is not answered with the failure of
	// one without.
	scope := namespace
	for _, s := range pullSecrets {
		scope += "/" + s.Name
	}
	var wg sync.WaitGroup
	for i, c := range todo {
		wg.Go(func() {
			found[i], reasons[i] = resolveContainer(ctx, r.Resolver, c, keychain, scope)
		})
	}
	wg.Wait()
	if len(forbidden) > 0 {
		for i := range reasons {
			if reasons[i] != "" {
				reasons[i] += fmt.Sprintf(" (read without the pull secrets %s, which the operator may not read: "+
					"bind the ClusterRole %s to its ServiceAccount in this namespace)",
					strings.Join(forbidden, ", "), PullSecretReaderRole)
			}
		}
	}
	return found, reasons
}

// resolveContainer reads the process of the container's image and checks that it names a
// program for the container's args; it returns the entry, or why not.
func resolveContainer(ctx context.Context, r *imageconfig.Resolver, c *corev1.Container,
	keychain authn.Keychain, scope string,
) (ImageEntrypoint, string) {
	if c.ImagePullPolicy == corev1.PullNever {
		if _, err := name.NewDigest(c.Image); err != nil {
			return ImageEntrypoint{}, "imagePullPolicy is Never and the image names no digest: " +
				"only the node knows which image the tag is there"
		}
	}
	res, err := r.Resolve(ctx, c.Image, keychain, scope)
	if err != nil {
		return ImageEntrypoint{}, err.Error()
	}
	if _, err := imageconfig.Command(res.Process, c.Args); err != nil {
		return ImageEntrypoint{}, err.Error()
	}
	return ImageEntrypoint{From: c.Image, Image: res.Image, Process: res.Process}, ""
}

// podName names a pod in a message: its name, or its generateName at admission.
func podName(pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	return pod.GenerateName + "<generated>"
}
