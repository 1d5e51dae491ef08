package kubestellar

import (
	"context"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
)

// wdsWatcher makes the watches of the WDS cache's unstructured informers: the informer lists
// as controller-runtime makes it list, and watches through eventStream, which decodes each
// event in one pass into the map the cache keeps (watch_decode.go).
type wdsWatcher struct {
	watchClient
	// mapper is the connection's RESTMapper (the WDS cluster's), set when the cluster is built.
	mapper func() meta.RESTMapper
}

func newWDSWatcher(cfg *rest.Config, httpClient *http.Client, mapper func() meta.RESTMapper) (*wdsWatcher, error) {
	client, err := newWatchClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	return &wdsWatcher{watchClient: client, mapper: mapper}, nil
}

// newInformer is the cache's NewInformer. Typed objects' informers (Bindings), and any whose
// resource the mapper does not know, stay as controller-runtime makes them.
//
// The WDS cache restricts its informers to no namespace and no selector (newWDS), so the watch
// made here asks for what controller-runtime's would ask for.
func (w *wdsWatcher) newInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration,
	indexers toolscache.Indexers) toolscache.SharedIndexInformer {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return toolscache.NewSharedIndexInformer(lw, obj, resync, indexers)
	}
	gvk := u.GroupVersionKind()
	mapping, err := w.mapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return toolscache.NewSharedIndexInformer(lw, obj, resync, indexers)
	}
	lwc := toolscache.ToListerWatcherWithContext(lw)
	return toolscache.NewSharedIndexInformer(&toolscache.ListWatch{
		ListWithContextFunc: lwc.ListWithContext,
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return w.watch(ctx, mapping.Resource, opts, decodeWDSEvent)
		},
	}, obj, resync, indexers)
}
