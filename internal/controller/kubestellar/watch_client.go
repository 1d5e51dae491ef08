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
	client, err := newJSONClient(cfg, httpClient)
	if err != nil {
		return watchClient{}, err
	}
	return watchClient{client: client}, nil
}

// newJSONClient is a REST client of any resource (its requests name their whole path: see
// resourcePath) that asks for JSON.
func newJSONClient(cfg *rest.Config, httpClient *http.Client) (rest.Interface, error) {
	c := dynamic.ConfigFor(cfg)
	c.GroupVersion = nil
	c.APIPath = ""
	c.AcceptContentTypes = "application/json"
	return rest.UnversionedRESTClientForConfigAndClient(c, httpClient)
}

// resourcePath is the path of a resource (in all namespaces), then of the object of that name
// in namespace, or of its subresource, for each part given.
func resourcePath(gvr schema.GroupVersionResource, namespace, name, subresource string) []string {
	path := []string{"apis", gvr.Group, gvr.Version}
	if gvr.Group == "" {
		path = []string{"api", gvr.Version}
	}
	if namespace != "" {
		path = append(path, "namespaces", namespace)
	}
	path = append(path, gvr.Resource)
	for _, p := range []string{name, subresource} {
		if p == "" {
			break
		}
		path = append(path, p)
	}
	return path
}

// watch watches a resource in all namespaces with opts, as client-go's watch of it would ask,
// its events decoded by decode.
func (w watchClient) watch(ctx context.Context, gvr schema.GroupVersionResource, opts metav1.ListOptions,
	decode eventDecoder) (watch.Interface, error) {
	opts.Watch = true
	opts.AllowWatchBookmarks = true
	body, err := w.client.Get().AbsPath(resourcePath(gvr, "", "", "")...).
		SpecificallyVersionedParams(&opts, metav1.ParameterCodec, metav1.SchemeGroupVersion).
		Stream(ctx)
	if err != nil {
		return nil, err
	}
	return watch.NewStreamWatcher(newEventStream(body, decode),
		apierrors.NewClientErrorReporter(http.StatusInternalServerError, http.MethodGet, "ClientWatchDecoding")), nil
}
