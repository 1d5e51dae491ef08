package kubestellar

import (
	"context"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// watchClient makes the watches whose events a one-pass decoder reads (the WDS's objects, the
// ITS's WorkStatuses): a REST client that asks for JSON only, the decoders' one format.
type watchClient struct {
	client rest.Interface
}

func newWatchClient(cfg *rest.Config, httpClient *http.Client) (watchClient, error) {
	c := dynamic.ConfigFor(cfg)
	c.GroupVersion = nil
	c.APIPath = ""
	c.AcceptContentTypes = "application/json"
	client, err := rest.UnversionedRESTClientForConfigAndClient(c, httpClient)
	if err != nil {
		return watchClient{}, err
	}
	return watchClient{client: client}, nil
}

// watch watches a resource in all namespaces with opts, as client-go's watch of it would ask,
// its events decoded by decode.
func (w watchClient) watch(ctx context.Context, gvr schema.GroupVersionResource, opts metav1.ListOptions,
	decode eventDecoder) (watch.Interface, error) {
	opts.Watch = true
	opts.AllowWatchBookmarks = true
	path := []string{"apis", gvr.Group, gvr.Version, gvr.Resource}
	if gvr.Group == "" {
		path = []string{"api", gvr.Version, gvr.Resource}
	}
	body, err := w.client.Get().AbsPath(path...).
		SpecificallyVersionedParams(&opts, metav1.ParameterCodec, metav1.SchemeGroupVersion).
		Stream(ctx)
	if err != nil {
		return nil, err
	}
	return watch.NewStreamWatcher(newEventStream(body, decode),
		apierrors.NewClientErrorReporter(http.StatusInternalServerError, http.MethodGet, "ClientWatchDecoding")), nil
}
