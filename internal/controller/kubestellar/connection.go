package kubestellar

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
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

// connection is one ReportedState's link to its WDS and ITS: their clients and caches, a work
// queue of WDS objects, and what it observed. It runs until its context is canceled.
//
// Its fields are of three kinds. The identity, options, callbacks, clients and controller are
// set before the goroutines that read them start, and never change after. lockedState is what
// changes while it runs, by concern, under lockedStateLock (lock, unlock). book is what it keeps
// about each WDS object, under a lock of its own. The two locks are never held together.
type connection struct {
	key     types.NamespacedName
	wdsName string
	opts    connectionOptions
	log     logr.Logger
	// notify tells the ReportedState reconciler that what status shows changed.
	notify func()
	// warn records a warning event on the ReportedState, and normal a normal one.
	warn, normal func(reason, action, note string, args ...any)
	// warnAbout records a warning event on the ReportedState about a WDS object, its related
	// object: events of one reason about different objects are then not folded into one series
	// (whose note would be the first object's only).
	warnAbout func(related runtime.Object, reason, action, note string, args ...any)

	// The clients of the clusters: the configurations, probes, discovery and metadata clients
	// are built by newConnection, the clusters (clients and caches) by run once both answer.
	wdsCfg, itsCfg     *rest.Config
	wds, its           cluster.Cluster
	wdsProbe, itsProbe discovery.ServerVersionInterface
	wdsDiscovery       discovery.DiscoveryInterface
	wdsMetadata        metadata.Interface
	// wdsWriter sends the reported state's writes (apply.go).
	wdsWriter rest.Interface

	// bindingsByObject indexes Bindings by the objects they ask reported state for, and
	// workStatusesBySource WorkStatuses by the object they name (setupIndexes).
	bindingsByObject     index[*controlv1alpha1.Binding]
	workStatusesBySource index[*WorkStatus]

	ctrl     controller.TypedController[objectRef]
	cancel   context.CancelFunc
	done     chan struct{}
	probeNow chan struct{}

	// book is what the connection keeps about each WDS object; it has a lock of its own.
	book *objectBook
	// combinedWriters is what the connection keeps about KubeStellar's status controller writing
	// CombinedStatus objects too (combined_second_writer.go); it has a lock of its own.
	combinedWriters *combinedWriters
	// combined keeps KubeStellar's CombinedStatus objects (combined_*.go); nil when the WDS
	// serves none. Set before the goroutines that read it start.
	combined *combinedPart

	// lockedStateLock guards lockedState; take it only through lock and unlock.
	lockedStateLock sync.Mutex
	// lockedState is the part of the connection that changes while it runs.
	lockedState connectionLockedState
}

// connectionLockedState is what changes while a connection runs, apart from its book, by
// concern; the connection's lock guards all of it.
type connectionLockedState struct {
	// link is what the connection observed of the clusters, and its work queue.
	link linkState
	// workStatuses counts the WorkStatuses of each WEC and keeps the malformed ones.
	workStatuses workStatusTally
	// watched are the resources whose workload objects are watched (ensureWatch).
	watched map[schema.GroupVersionResource]bool
	// unwatchable are the resources a Binding asks for whose objects cannot be watched.
	unwatchable unwatchable
	// discovery remembers which resources have a status subresource.
	discovery discoveryMemo
	// mappings remembers the versions and kinds of resources (resolve).
	mappings mappingMemo
}

// lock takes the connection's lock, which guards lockedState. It is held only to read or change
// lockedState: never across a request to a cluster, a callback, or the book's lock. (watchObjects
// adds an informer's event handler under it, so that a resource is watched once; adding one
// calls no handler at once.)
func (c *connection) lock() { c.lockedStateLock.Lock() }

// unlock releases the connection's lock.
func (c *connection) unlock() { c.lockedStateLock.Unlock() }

// newConnection builds the clusters of a connection; start runs it.
func newConnection(key types.NamespacedName, wdsName string, wdsCfg, itsCfg *rest.Config, opts connectionOptions,
	log logr.Logger,
) (*connection, error) {
	c := &connection{
		key: key, wdsName: wdsName, opts: opts, log: log,
		done: make(chan struct{}), probeNow: make(chan struct{}, 1),
		book:            newObjectBook(),
		combinedWriters: newCombinedWriters(),
		lockedState: connectionLockedState{
			link:         linkState{deferred: map[objectRef]struct{}{}},
			workStatuses: newWorkStatusTally(),
			watched:      map[schema.GroupVersionResource]bool{},
			unwatchable:  unwatchable{},
			discovery:    discoveryMemo{},
			mappings:     mappingMemo{},
		},
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

// start runs the connection in the background until stop.
func (c *connection) start(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	go c.probeLoop(ctx)
	go func() {
		defer close(c.done)
		if err := c.run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			c.log.Error(err, "Connection stopped")
			c.update(func(h *linkHealth) { h.Err = err })
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
	if err := c.setupCombined(ctx); err != nil {
		return err
	}
	errs := make(chan error, 3)
	go func() { errs <- c.wds.Start(ctx) }()
	go func() { errs <- c.its.Start(ctx) }()
	go func() { errs <- c.ctrl.Start(ctx) }()
	if c.combined != nil {
		go c.runCombined(ctx)
	}
	if err := c.waitSynced(ctx); err != nil {
		return err
	}
	c.update(func(h *linkHealth) { h.Synced = true })
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
