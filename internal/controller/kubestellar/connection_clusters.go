package kubestellar

import (
	"context"
	"net/http"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
)

// watchErrors makes a cache's watch errors trigger a probe at once.
func (c *connection) watchErrors(_ context.Context, _ *toolscache.Reflector, err error) {
	c.log.V(1).Info("Watch failed", "error", err.Error())
	select {
	case c.probeNow <- struct{}{}:
	default:
	}
}

func (c *connection) newWDS(cfg *rest.Config) (cluster.Cluster, error) {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(controlv1alpha1.AddToScheme(s))
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	if c.wdsWriter, err = newJSONClient(cfg, httpClient); err != nil {
		return nil, err
	}
	var mapper meta.RESTMapper // the cluster's, made in cluster.New before its cache
	watcher, err := newWDSWatcher(cfg, httpClient, func() meta.RESTMapper { return mapper })
	if err != nil {
		return nil, err
	}
	return cluster.New(cfg, func(o *cluster.Options) {
		o.Scheme = s
		o.HTTPClient = httpClient
		o.MapperProvider = func(cfg *rest.Config, httpClient *http.Client) (meta.RESTMapper, error) {
			m, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
			mapper = m
			return m, err
		}
		// No namespace or label restriction here: wdsWatcher's watches assume none.
		o.Cache = cache.Options{
			DefaultUnsafeDisableDeepCopy: ptr.To(true),
			DefaultWatchErrorHandler:     c.watchErrors,
			// The transform stays: the watches' decoder already slims what they bring (a
			// second pass is cheap), the lists' objects are slimmed here.
			DefaultTransform: slimWDSObject,
			NewInformer:      watcher.newInformer,
		}
		o.Client = client.Options{Cache: &client.CacheOptions{Unstructured: true}}
	})
}

func (c *connection) newITS(cfg *rest.Config) (cluster.Cluster, error) {
	selector := labels.SelectorFromSet(labels.Set{labelOriginWDS: c.wdsName})
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	watcher, err := newITSWatcher(cfg, httpClient, selector)
	if err != nil {
		return nil, err
	}
	return cluster.New(cfg, func(o *cluster.Options) {
		// itsScheme: the scheme whose typed decoder the watch's decoder leaves the unusual to.
		o.Scheme = itsScheme
		o.HTTPClient = httpClient
		// No namespace restriction here, and the selector is watcher's too: itsWatcher's watch
		// asks for what controller-runtime's would ask for.
		o.Cache = cache.Options{
			DefaultUnsafeDisableDeepCopy: ptr.To(true),
			DefaultWatchErrorHandler:     c.watchErrors,
			ByObject: map[client.Object]cache.ByObject{
				&WorkStatus{}: {Label: selector, Transform: stampWorkStatus(c.opts.Now, c.opts.MaxStatusBytes)},
			},
			NewInformer: watcher.newInformer,
		}
	})
}
