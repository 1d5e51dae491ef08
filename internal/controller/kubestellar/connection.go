package kubestellar

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/controller"
)

// The values of the connected metric's cluster label.
const (
	clusterWDS = "wds"
	clusterITS = "its"
)

// Index names of the caches.
const (
	indexBindingObjects   = "reportedstate.objects"
	indexWorkStatusSource = "reportedstate.sourceRef"
)

// connectionOptions are the tunables of a connection.
type connectionOptions struct {
	// ProbeInterval is how often each cluster is asked whether it answers.
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe.
	ProbeTimeout time.Duration
	// Workers is the number of objects reconciled at once.
	Workers int
	// MaxStatusBytes is the largest WorkStatus status accepted.
	MaxStatusBytes int
	// Now is the clock.
	Now func() time.Time
}

// connection is one ReportedState's link to its WDS and ITS: their caches, a work queue of WDS
// objects, and what it observed. It runs until its context is canceled.
type connection struct {
	key     types.NamespacedName
	wdsName string
	opts    connectionOptions
	log     logr.Logger
	// notify tells the ReportedState reconciler that what status shows changed.
	notify func()
	// warn records a warning event on the ReportedState, and normal a normal one.
	warn, normal func(reason, action, note string, args ...any)

	wdsCfg, itsCfg     *rest.Config
	wds, its           cluster.Cluster
	wdsProbe, itsProbe discovery.ServerVersionInterface
	wdsDiscovery       discovery.DiscoveryInterface
	wdsMetadata        metadata.Interface
	ctrl               controller.TypedController[objectRef]
	// book is what the connection keeps about each WDS object; it has a lock of its own.
	book     *objectBook
	cancel   context.CancelFunc
	done     chan struct{}
	probeNow chan struct{}

	mu           sync.Mutex
	state        connectionState
	queue        workqueue.TypedRateLimitingInterface[objectRef]
	deferred     map[objectRef]struct{}
	wecs         map[string]int
	invalid      map[types.NamespacedName]string
	watched      map[schema.GroupVersionResource]bool
	subresources map[schema.GroupVersion]map[string]bool
}

// connectionState is what a ReportedState's status shows of its connection.
type connectionState struct {
	WDSUp, ITSUp bool
	// Probed: both clusters were asked at least once.
	Probed bool
	Synced bool
	// Err is a failure that stopped the connection.
	Err       error
	Singleton int
	MultiWEC  int
	WECs      int
	Invalid   []string
	// Health counts the objects by WEC and kstatus.
	Health map[wecStatus]int
}

// newConnection builds the clusters of a connection; start runs it.
func newConnection(key types.NamespacedName, wdsName string, wdsCfg, itsCfg *rest.Config, opts connectionOptions,
	log logr.Logger,
) (*connection, error) {
	c := &connection{
		key: key, wdsName: wdsName, opts: opts, log: log,
		done: make(chan struct{}), probeNow: make(chan struct{}, 1),
		book:     newObjectBook(),
		deferred: map[objectRef]struct{}{}, wecs: map[string]int{},
		invalid:      map[types.NamespacedName]string{},
		watched:      map[schema.GroupVersionResource]bool{},
		subresources: map[schema.GroupVersion]map[string]bool{},
	}
	c.wdsCfg, c.itsCfg = wdsCfg, itsCfg
	var err error
	if c.wdsDiscovery, err = discovery.NewDiscoveryClientForConfig(wdsCfg); err != nil {
		return nil, err
	}
	if c.wdsMetadata, err = metadata.NewForConfig(wdsCfg); err != nil {
		return nil, err
	}
	if c.wdsProbe, err = probeClient(wdsCfg, opts.ProbeTimeout); err != nil {
		return nil, err
	}
	if c.itsProbe, err = probeClient(itsCfg, opts.ProbeTimeout); err != nil {
		return nil, err
	}
	return c, nil
}

func probeClient(cfg *rest.Config, timeout time.Duration) (discovery.ServerVersionInterface, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = timeout
	return discovery.NewDiscoveryClientForConfig(cfg)
}

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
	return cluster.New(cfg, func(o *cluster.Options) {
		o.Scheme = s
		o.Cache = cache.Options{
			DefaultUnsafeDisableDeepCopy: ptr.To(true),
			DefaultWatchErrorHandler:     c.watchErrors,
			DefaultTransform:             slimWDSObject,
		}
		o.Client = client.Options{Cache: &client.CacheOptions{Unstructured: true}}
	})
}

func (c *connection) newITS(cfg *rest.Config) (cluster.Cluster, error) {
	s := runtime.NewScheme()
	addWorkStatusToScheme(s)
	selector := labels.SelectorFromSet(labels.Set{labelOriginWDS: c.wdsName})
	return cluster.New(cfg, func(o *cluster.Options) {
		o.Scheme = s
		o.Cache = cache.Options{
			DefaultUnsafeDisableDeepCopy: ptr.To(true),
			DefaultWatchErrorHandler:     c.watchErrors,
			ByObject: map[client.Object]cache.ByObject{
				&WorkStatus{}: {Label: selector, Transform: stampWorkStatus(c.opts.Now)},
			},
		}
	})
}

// start runs the connection in the background until stop.
func (c *connection) start(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	go c.probeLoop(ctx)
	go func() {
		defer close(c.done)
		if err := c.run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			c.log.Error(err, "Connection stopped")
			c.update(func(s *connectionState) { s.Err = err })
		}
	}()
}

// stop ends the connection and waits until it has stopped.
func (c *connection) stop() {
	c.cancel()
	<-c.done
}

// run waits until both clusters answer, fills the caches, and reconciles objects until ctx ends.
func (c *connection) run(ctx context.Context) error {
	if err := c.waitConnected(ctx); err != nil {
		return err
	}
	// The clusters are built once both answer: building one reads its API groups.
	var err error
	if c.wds, err = c.newWDS(c.wdsCfg); err != nil {
		return err
	}
	if c.its, err = c.newITS(c.itsCfg); err != nil {
		return err
	}
	if err := c.setupIndexes(ctx); err != nil {
		return err
	}
	if err := c.setupController(); err != nil {
		return err
	}
	errs := make(chan error, 3)
	go func() { errs <- c.wds.Start(ctx) }()
	go func() { errs <- c.its.Start(ctx) }()
	go func() { errs <- c.ctrl.Start(ctx) }()
	if err := c.waitSynced(ctx); err != nil {
		return err
	}
	c.update(func(s *connectionState) { s.Synced = true })
	c.log.Info("Caches synced; reconciling objects")
	if err := c.sweep(ctx); err != nil {
		c.log.Error(err, "Listing the objects the operator labeled failed")
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-errs:
		return err
	}
}

// waitConnected returns once both clusters answered a probe.
func (c *connection) waitConnected(ctx context.Context) error {
	for {
		if c.bothUp() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.opts.ProbeInterval / 4):
		}
	}
}

// waitSynced returns once the Binding and WorkStatus caches are synced and the controller has
// its queue.
func (c *connection) waitSynced(ctx context.Context) error {
	bindings, err := c.wds.GetCache().GetInformer(ctx, &controlv1alpha1.Binding{})
	if err != nil {
		return err
	}
	workStatuses, err := c.its.GetCache().GetInformer(ctx, &WorkStatus{})
	if err != nil {
		return err
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), bindings.HasSynced, workStatuses.HasSynced) {
		return ctx.Err()
	}
	for c.getQueue() == nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// bothUp tells whether the WDS and the ITS answered the last probe.
func (c *connection) bothUp() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.WDSUp && c.state.ITSUp
}

// synced tells whether the first sync is done.
func (c *connection) synced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Synced
}

func (c *connection) getQueue() workqueue.TypedRateLimitingInterface[objectRef] {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queue
}

// enqueue adds objects to the work queue.
func (c *connection) enqueue(refs ...objectRef) {
	q := c.getQueue()
	if q == nil {
		return
	}
	for _, r := range refs {
		q.Add(r)
	}
}

// update changes the state and tells the ReportedState reconciler when it differs.
func (c *connection) update(change func(*connectionState)) {
	c.mu.Lock()
	before := c.state
	change(&c.state)
	changed := before.WDSUp != c.state.WDSUp || before.ITSUp != c.state.ITSUp || before.Synced != c.state.Synced ||
		before.Probed != c.state.Probed || (before.Err == nil) != (c.state.Err == nil)
	c.mu.Unlock()
	if changed && c.notify != nil {
		c.notify()
	}
}

// snapshot returns the state, with the counts.
func (c *connection) snapshot() connectionState {
	objects := c.book.counts()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state
	for _, n := range c.wecs {
		if n > 0 {
			s.WECs++
		}
	}
	s.Singleton, s.MultiWEC, s.Health = objects.Singleton, objects.MultiWEC, objects.Health
	for name := range c.invalid {
		s.Invalid = append(s.Invalid, name.String())
	}
	return s
}
