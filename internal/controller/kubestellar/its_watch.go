package kubestellar

import (
	"context"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
)

// itsWatcher makes the watch of the ITS cache's WorkStatus informer: the informer lists as
// controller-runtime makes it list, and watches through an event stream that decodes each event
// in one pass into a WorkStatus (its_watch_decode.go).
type itsWatcher struct {
	watchClient
	// selector is the ITS cache's label selector of WorkStatuses (newITS's).
	selector labels.Selector
}

func newITSWatcher(cfg *rest.Config, httpClient *http.Client, selector labels.Selector) (*itsWatcher, error) {
	client, err := newWatchClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	return &itsWatcher{watchClient: client, selector: selector}, nil
}

// newInformer is the ITS cache's NewInformer. Informers of other types (there are none today)
// stay as controller-runtime makes them.
//
// The watch replaces controller-runtime's, which would add the cache's label selector for
// WorkStatuses (ByObject in newITS) to the options: watchWorkStatuses adds the same. The ITS cache restricts
// its informers to no namespace.
func (w *itsWatcher) newInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration,
	indexers toolscache.Indexers) toolscache.SharedIndexInformer {
	if _, ok := obj.(*WorkStatus); !ok {
		return toolscache.NewSharedIndexInformer(lw, obj, resync, indexers)
	}
	lwc := toolscache.ToListerWatcherWithContext(lw)
	return toolscache.NewSharedIndexInformer(&toolscache.ListWatch{
		ListWithContextFunc:  lwc.ListWithContext,
		WatchFuncWithContext: w.watchWorkStatuses,
	}, obj, resync, indexers)
}

// watchWorkStatuses watches the WorkStatuses of all namespaces that the selector selects, their
// events decoded by decodeWorkStatusEvent.
func (w *itsWatcher) watchWorkStatuses(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.LabelSelector = w.selector.String()
	return w.watch(ctx, workStatusGVK.GroupVersion().WithResource("workstatuses"), opts, decodeWorkStatusEvent)
}
