package imageconfig

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// +kubebuilder:rbac:groups=config.openshift.io,resources=imagedigestmirrorsets;imagetagmirrorsets,verbs=get;list;watch
// +kubebuilder:rbac:groups=operator.openshift.io,resources=imagecontentsourcepolicies,verbs=get;list;watch

// The OpenShift kinds whose mirrors the nodes use: config.openshift.io/v1's, and the legacy
// ImageContentSourcePolicy, deprecated for ImageDigestMirrorSet and still used by the nodes.
var (
	digestMirrorSetKind = schema.GroupVersionKind{
		Group: "config.openshift.io", Version: "v1", Kind: "ImageDigestMirrorSet",
	}
	tagMirrorSetKind = schema.GroupVersionKind{
		Group: "config.openshift.io", Version: "v1", Kind: "ImageTagMirrorSet",
	}
	contentSourcePolicyKind = schema.GroupVersionKind{
		Group: "operator.openshift.io", Version: "v1alpha1", Kind: "ImageContentSourcePolicy",
	}
)

// MirrorWatcher keeps the cluster's mirror configuration (its ImageDigestMirrorSets,
// ImageTagMirrorSets and ImageContentSourcePolicies) current, through the manager's cache;
// Config is a Resolver's Options.Mirrors.
type MirrorWatcher struct {
	cache   client.Reader
	kinds   []schema.GroupVersionKind
	log     logr.Logger
	mu      sync.Mutex // one recomputation at a time, so that the last stored is the newest
	current atomic.Pointer[MirrorConfig]
}

// WatchMirrors watches, in the manager's cache, those of ImageDigestMirrorSet,
// ImageTagMirrorSet and ImageContentSourcePolicy that the API server serves (OpenShift's; looked
// up once, now); where it serves none, there are no mirrors. Call it before the manager starts:
// its informers are then among those the manager's cache syncs before it reports ready. A kind
// the operator may not list is left out (logged), rather than keep the manager from ready.
func WatchMirrors(ctx context.Context, mgr manager.Manager) (*MirrorWatcher, error) {
	w := &MirrorWatcher{cache: mgr.GetCache(), log: mgr.GetLogger().WithName("mirrors")}
	for _, gvk := range []schema.GroupVersionKind{digestMirrorSetKind, tagMirrorSetKind, contentSourcePolicyKind} {
		_, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			w.log.Info("The API server does not serve this kind: its mirrors are not read", "kind", gvk.String())
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("looking up %s: %w", gvk, err)
		}
		// Without list (or with a ClusterRole older than this code), an informer would never
		// sync, and the manager would never report ready: its mirrors are not read instead.
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		err = mgr.GetAPIReader().List(ctx, list, client.Limit(1))
		if apierrors.IsForbidden(err) {
			w.log.Error(err, "The operator may not list this kind: its mirrors are not read; "+
				"give its ClusterRole get, list and watch on it", "kind", gvk.String())
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", gvk.Kind, err)
		}
		w.kinds = append(w.kinds, gvk)
	}
	for _, gvk := range w.kinds {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		inf, err := mgr.GetCache().GetInformer(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("watching %s: %w", gvk.Kind, err)
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { w.recompute(ctx) },
			UpdateFunc: func(any, any) { w.recompute(ctx) },
			DeleteFunc: func(any) { w.recompute(ctx) },
		}); err != nil {
			return nil, fmt.Errorf("watching %s: %w", gvk.Kind, err)
		}
	}
	return w, nil
}

// Config returns the current mirror configuration: nil when there is none.
func (w *MirrorWatcher) Config() *MirrorConfig { return w.current.Load() }

func (w *MirrorWatcher) recompute(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var rules [2][]MirrorRule // digest, tag
	for _, gvk := range w.kinds {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := w.cache.List(ctx, list); err != nil {
			// The cache answers from memory; it fails only when stopping.
			w.log.Error(err, "Listing mirror sets", "kind", gvk.Kind)
			return
		}
		slices.SortFunc(list.Items, func(a, b unstructured.Unstructured) int {
			return strings.Compare(a.GetName(), b.GetName())
		})
		for i := range list.Items {
			digest, tag, err := mirrorRules(&list.Items[i])
			if err != nil {
				w.log.Error(err, "A mirror set that does not decode is left out", "kind", gvk.Kind,
					"name", list.Items[i].GetName())
				continue
			}
			rules[0] = append(rules[0], digest...)
			rules[1] = append(rules[1], tag...)
		}
	}
	cfg := NewMirrorConfig(rules[0], rules[1])
	w.current.Store(cfg)
	w.log.V(1).Info("Mirror configuration", "digestRules", len(rules[0]), "tagRules", len(rules[1]))
}

// mirrorSetSpec is the part of the spec of ImageDigestMirrorSet, ImageTagMirrorSet and
// ImageContentSourcePolicy (repositoryDigestMirrors: digest mirrors, never NeverContactSource)
// that the resolver uses.
type mirrorSetSpec struct {
	ImageDigestMirrors      []mirrorSetRule `json:"imageDigestMirrors,omitempty"`
	ImageTagMirrors         []mirrorSetRule `json:"imageTagMirrors,omitempty"`
	RepositoryDigestMirrors []mirrorSetRule `json:"repositoryDigestMirrors,omitempty"`
}

type mirrorSetRule struct {
	Source             string   `json:"source"`
	Mirrors            []string `json:"mirrors,omitempty"`
	MirrorSourcePolicy string   `json:"mirrorSourcePolicy,omitempty"`
}

// mirrorRules returns the digest and tag rules of a mirror set.
func mirrorRules(u *unstructured.Unstructured) (digest, tag []MirrorRule, err error) {
	spec, _, err := unstructured.NestedMap(u.Object, "spec")
	if err != nil {
		return nil, nil, err
	}
	var s mirrorSetSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(spec, &s); err != nil {
		return nil, nil, err
	}
	convert := func(in []mirrorSetRule) []MirrorRule {
		out := make([]MirrorRule, 0, len(in))
		for _, r := range in {
			out = append(out, MirrorRule{
				Source: r.Source, Mirrors: r.Mirrors, NeverContactSource: r.MirrorSourcePolicy == "NeverContactSource",
			})
		}
		return out
	}
	return append(convert(s.ImageDigestMirrors), convert(s.RepositoryDigestMirrors)...), convert(s.ImageTagMirrors), nil
}
