package kubestellar

import (
	"context"
	"errors"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// Reconciler keeps one connection per ReportedState, and its status.
type Reconciler struct {
	Client   client.Client
	Recorder events.EventRecorder
	// Config reaches the cluster the operator runs in, for a WDS or ITS without a Secret.
	Config *rest.Config
	// SecretNamespace, when set, is the only namespace kubeconfig Secrets are read from (the
	// operator's own: it may read Secrets there and nowhere else), so ReportedStates that name
	// a Secret belong there.
	SecretNamespace string
	// APIReader reads from the API, not a cache: the KubeFlex ControlPlanes that ReportedStates
	// name, and their Secrets. Client when nil.
	APIReader client.Reader
	// InCluster says that the operator runs in a pod: a ControlPlane's Secret is then read at
	// its inClusterKey, as KubeStellar's own controllers do.
	InCluster bool
	// ProbeInterval is how often each WDS and ITS is asked whether it answers; 10 s when zero.
	ProbeInterval time.Duration
	// Workers reconcile objects at once, per ReportedState; 8 when zero.
	Workers int
	// MaxStatusBytes is the largest WorkStatus status accepted; 512 KiB when zero.
	MaxStatusBytes int
	// ClientQPS limits the requests per second to each WDS and ITS on the client side; 0 means
	// no client-side limit (the API servers' priority and fairness still applies).
	ClientQPS float32
	// Compression accepts gzip-compressed answers from each WDS and ITS (tuneClientConfig).
	Compression bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu          sync.Mutex
	ctx         context.Context
	started     chan struct{}
	connections map[types.NamespacedName]*running
	changes     chan event.GenericEvent
}

// running is a connection and what it was built from.
type running struct {
	conn        *connection
	fingerprint string
}

// +kubebuilder:rbac:groups=kubestellar.statefulsingleton.com,resources=reportedstates,verbs=get;list;watch
// +kubebuilder:rbac:groups=kubestellar.statefulsingleton.com,resources=reportedstates/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=bindings,verbs=get;list;watch
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=workstatuses,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the reconciler, and a runnable that stops every connection when
// the manager stops.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.defaults()
	if err := mgr.Add(manager.RunnableFunc(r.run)); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&ksv1alpha1.ReportedState{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.forSecret)).
		WatchesRawSource(source.Channel(r.changes, &handler.EnqueueRequestForObject{})).
		Named("reportedstate").
		Complete(r)
}

func (r *Reconciler) defaults() {
	if r.ProbeInterval == 0 {
		r.ProbeInterval = 10 * time.Second
	}
	if r.Workers == 0 {
		r.Workers = 8
	}
	if r.MaxStatusBytes == 0 {
		r.MaxStatusBytes = maxStatusBytes
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.APIReader == nil {
		r.APIReader = r.Client
	}
	r.started = make(chan struct{})
	r.connections = map[types.NamespacedName]*running{}
	r.changes = make(chan event.GenericEvent, 1024)
}

// run holds the context the connections live in.
func (r *Reconciler) run(ctx context.Context) error {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	close(r.started)
	<-ctx.Done()
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, rn := range r.connections {
		rn.conn.stop()
		delete(r.connections, key)
	}
	return nil
}

// Reconcile starts, restarts or stops the connection of a ReportedState and writes its status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	select {
	case <-r.started:
	case <-ctx.Done():
		return ctrl.Result{}, ctx.Err()
	}
	rs := &ksv1alpha1.ReportedState{}
	if err := r.Client.Get(ctx, req.NamespacedName, rs); err != nil || !rs.DeletionTimestamp.IsZero() {
		r.stopConnection(req.NamespacedName)
		forgetMetrics(req.Namespace, req.Name)
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	conn, configErr := r.ensureConnection(ctx, rs)
	var state connectionState
	if conn != nil {
		state = conn.snapshot()
	}
	var res ctrl.Result
	if configErr != nil || namesControlPlane(rs) {
		// The Secret's events queue the ReportedState again; this covers a Secret the cache has
		// not seen yet. Nothing watches KubeFlex ControlPlanes and their Secrets (the operator
		// may get them, no more: docs/reported-state.md), so they are read again every interval.
		res.RequeueAfter = r.ProbeInterval
	}
	if state.Err != nil {
		// The connection failed (for example a cache never synced): start it afresh, later.
		r.stopConnection(req.NamespacedName)
		res.RequeueAfter = r.ProbeInterval
	}
	st := computeStatus(rs, state, configErr)
	err := r.writeStatus(ctx, rs, st)
	if err == nil {
		statusCondition.Set(rs.Namespace, rs.Name, st.Conditions)
	}
	return res, err
}

// ensureConnection returns the running connection of rs, started or restarted when its
// configuration changed; a kubeconfig that cannot be read stops it.
func (r *Reconciler) ensureConnection(ctx context.Context, rs *ksv1alpha1.ReportedState) (*connection, error) {
	key := types.NamespacedName{Namespace: rs.Namespace, Name: rs.Name}
	read := secretReader{
		client: r.Client, direct: r.APIReader, namespace: rs.Namespace, allowed: r.SecretNamespace, inCluster: r.InCluster,
	}
	wdsCfg, wdsPrint, err := read.restConfig(ctx, rs.Spec.WDS, r.Config)
	if err == nil {
		var itsCfg *rest.Config
		var itsPrint string
		if itsCfg, itsPrint, err = read.restConfig(ctx, rs.Spec.ITS, r.Config); err == nil {
			return r.connect(rs, key, wdsCfg, itsCfg, wdsPrint+"/"+itsPrint+"/"+rs.Spec.WDSName)
		}
	}
	r.stopConnection(key)
	r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, configReason(err), "Connect", "%s", err.Error())
	return nil, err
}

func (r *Reconciler) connect(rs *ksv1alpha1.ReportedState, key types.NamespacedName, wdsCfg, itsCfg *rest.Config,
	fingerprint string,
) (*connection, error) {
	r.mu.Lock()
	rn := r.connections[key]
	r.mu.Unlock()
	if rn != nil && rn.fingerprint == fingerprint {
		return rn.conn, nil
	}
	r.stopConnection(key)
	tuneClientConfig(wdsCfg, r.ClientQPS, r.Compression)
	tuneClientConfig(itsCfg, r.ClientQPS, r.Compression)
	opts := connectionOptions{
		ProbeInterval: r.ProbeInterval, ProbeTimeout: min(r.ProbeInterval, 5*time.Second),
		Workers: r.Workers, MaxStatusBytes: r.MaxStatusBytes, Now: r.Now,
	}
	logger := log.Log.WithName("reportedstate").WithValues("reportedState", key)
	conn, err := newConnection(key, rs.Spec.WDSName, wdsCfg, itsCfg, opts, logger)
	if err != nil {
		return nil, err
	}
	ref := rs.DeepCopy()
	conn.notify = func() { r.notify(key) }
	conn.warn = func(reason, action, note string, args ...any) {
		r.Recorder.Eventf(ref, nil, corev1.EventTypeWarning, reason, action, note, args...)
	}
	conn.warnAbout = func(related runtime.Object, reason, action, note string, args ...any) {
		r.Recorder.Eventf(ref, related, corev1.EventTypeWarning, reason, action, note, args...)
	}
	conn.normal = func(reason, action, note string, args ...any) {
		r.Recorder.Eventf(ref, nil, corev1.EventTypeNormal, reason, action, note, args...)
	}
	r.mu.Lock()
	r.connections[key] = &running{conn: conn, fingerprint: fingerprint}
	ctx := r.ctx
	r.mu.Unlock()
	conn.start(ctx)
	r.Recorder.Eventf(rs, nil, corev1.EventTypeNormal, ksv1alpha1.ReasonConnecting, "Connect",
		"Connecting to the WDS and the ITS")
	return conn, nil
}

func (r *Reconciler) stopConnection(key types.NamespacedName) {
	r.mu.Lock()
	rn := r.connections[key]
	delete(r.connections, key)
	r.mu.Unlock()
	if rn != nil {
		rn.conn.stop()
	}
}

// notify queues a ReportedState whose connection changed.
func (r *Reconciler) notify(key types.NamespacedName) {
	rs := &ksv1alpha1.ReportedState{}
	rs.Namespace, rs.Name = key.Namespace, key.Name
	select {
	case r.changes <- event.GenericEvent{Object: rs}:
	default:
		// The queue already holds many changes; the next one brings the status up to date.
	}
}

// writeStatus patches the status when it changed.
func (r *Reconciler) writeStatus(ctx context.Context, rs *ksv1alpha1.ReportedState, st ksv1alpha1.ReportedStateStatus,
) error {
	if equality.Semantic.DeepEqual(rs.Status, st) {
		return nil
	}
	before := rs.DeepCopy()
	rs.Status = st
	err := r.Client.Status().Patch(ctx, rs, client.MergeFrom(before))
	if err != nil && !errors.Is(err, context.Canceled) {
		return client.IgnoreNotFound(err)
	}
	return nil
}

// forSecret queues the ReportedStates of the Secret's namespace that read it.
func (r *Reconciler) forSecret(ctx context.Context, o client.Object) []ctrl.Request {
	var list ksv1alpha1.ReportedStateList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		return nil
	}
	var out []ctrl.Request
	for i := range list.Items {
		rs := &list.Items[i]
		for _, ref := range []ksv1alpha1.ClusterRef{rs.Spec.WDS, rs.Spec.ITS} {
			if ref.KubeconfigSecretRef != nil && ref.KubeconfigSecretRef.Name == o.GetName() {
				out = append(out, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: rs.Namespace, Name: rs.Name}})
				break
			}
		}
	}
	return out
}

// namesControlPlane says whether the WDS or the ITS of rs is named by its KubeFlex ControlPlane.
func namesControlPlane(rs *ksv1alpha1.ReportedState) bool {
	return rs.Spec.WDS.ControlPlaneRef != nil || rs.Spec.ITS.ControlPlaneRef != nil
}
