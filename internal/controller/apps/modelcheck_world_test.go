package apps

// The world of the model checker: the API objects (pods, StatefulSingletons, nodes), the truth
// of the kubelets (which application processes really run), the workload controllers' own
// state, the webhook and the operator (its caches, its in-flight writes). A world is a plain
// value: clone copies it, hash names it. Nothing here knows how the operator decides; it calls
// the operatorAdapter (modelcheck_operator_test.go) for that.

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"
	"sync"
)

// ctrState is the state of a pod's application container: as the kubelet runs it (the truth)
// or as the pod's status reports it (the API).
type ctrState uint8

const (
	ctrNone       ctrState = iota // not started, or no status yet
	ctrRunning                    // running: the gate waits in it, or the application runs
	ctrTerminated                 // exited
)

func (c ctrState) String() string {
	return [...]string{"none", "running", "terminated"}[c]
}

// podPhase is a pod's status.phase.
type podPhase uint8

const (
	phasePending podPhase = iota
	phaseRunning
	phaseSucceeded
	phaseFailed
)

func (p podPhase) String() string {
	return [...]string{"Pending", "Running", "Succeeded", "Failed"}[p]
}

// terminal reports whether the kubelet restarts none of the pod's containers any more.
func (p podPhase) terminal() bool { return p == phaseSucceeded || p == phaseFailed }

// ownerKind is the kind of a pod's controller.
type ownerKind uint8

const (
	ownerNone ownerKind = iota
	ownerReplicaSet
	ownerStatefulSet
)

// Names the model gives to things.
const (
	mcWorkload    = "db" // the Deployment or StatefulSet, and the value of the pods' app label
	mcStsPod      = "db-0"
	mcDefaultSS   = "a"
	mcDefaultNode = "n1"
)

// mPod is a pod object as the API server holds it. Fields below "bookkeeping" are the model's
// own notes, not part of the object.
type mPod struct {
	name string
	uid  int // the object's UID is "u<uid>"
	rv   int // resourceVersion
	seq  int // creation order: the creationTimestamp
	// The controller: a ReplicaSet of revision rev, or the StatefulSet, whose revision rev the
	// pod was made from.
	owner ownerKind
	rev   int
	// Labels: app=db (the workload's, which the selectors match), managed and instance (the
	// webhook's).
	app      bool
	managed  bool
	instance string
	// gated: the spec holds the gate (the webhook injected it).
	gated bool
	// supervised: the gate supervises the application and reports its exit over the channel
	// (the webhook wrapped it for the fast hand-over, docs/design.md S6).
	supervised bool
	// release is the value of the release annotation, a UID; 0 when absent. releasedAt is the
	// world's sequence (the number of objects created so far) when the annotation was written:
	// the pods created after it were not there for the decision to weigh.
	release    int
	releasedAt int
	// stopConfirmed is the value of the stop-confirmed annotation, a UID; 0 when absent.
	stopConfirmed int
	// finalizer: the release finalizer.
	finalizer bool
	// deleting: deletionTimestamp is set; graceDone: deletionGracePeriodSeconds is 0, so the
	// object goes as soon as no finalizer holds it.
	deleting  bool
	graceDone bool
	node      string
	// The status, as the kubelet last reported it (and the operator's readiness condition).
	phase    podPhase
	ctr      ctrState
	restarts uint8
	ready    bool

	// bookkeeping: a StatefulSingleton in the API selected the pod when it was created, so the
	// webhook should have prepared it (S3).
	selectedAtCreation bool
}

func (p mPod) key() string { return p.name }

// mSS is a StatefulSingleton object.
type mSS struct {
	name string
	uid  int
	rv   int
	seq  int
	// selects: the selector is app=db; false once edited to match nothing.
	selects   bool
	deleting  bool
	finalizer bool // the hand-back finalizer
	status    ssStatus
}

func (s mSS) key() string { return s.name }

// ssStatus is a StatefulSingleton's status as the operator wrote it. The world does not read
// it: val belongs to the adapter; id names its content (internStatus), for the state's hash.
type ssStatus struct {
	id  int
	val any
}

// statusIDs numbers the distinct statuses (by their canonical encoding) across a test run.
var statusIDs = struct {
	sync.Mutex
	ids map[string]int
}{ids: map[string]int{}}

// internStatus returns the number of a status's canonical encoding; the empty status is 0.
func internStatus(key string) int {
	statusIDs.Lock()
	defer statusIDs.Unlock()
	id, ok := statusIDs.ids[key]
	if !ok {
		id = len(statusIDs.ids) + 1
		statusIDs.ids[key] = id
	}
	return id
}

// mNode is a Node object (exists, oos) and the machine behind it (up).
type mNode struct {
	name   string
	rv     int
	exists bool // the Node object exists
	oos    bool // it carries the out-of-service taint
	// up: the machine and its kubelet run and reach the API server. A node that is not up
	// keeps running its applications until it is fenced.
	up bool
}

func (n mNode) key() string { return n.name }

// mRuntime is what a kubelet really runs for one pod UID: the truth S1 counts.
type mRuntime struct {
	uid  int
	pod  string
	node string
	// What the kubelet knows of the pod: its spec holds the gate, and the StatefulSingleton
	// the webhook prepared it for.
	gated      bool
	supervised bool
	instance   string
	ctr        ctrState
	app        bool // the application process runs
	ran        bool // the application ran at some point
	// overlap: the application started, under a StatefulSingleton's guarantee, while another
	// one ran (S1).
	overlap bool
	// killed: the kubelet has acted on the pod's deletion; it restarts nothing any more.
	killed   bool
	restarts uint8
	// The supervising gate (mPod.supervised): its state in the pod's StateDir, which outlives
	// the container's restarts, and its channel to the operator (modelcheck_gate_test.go).
	gate gateState
}

// mReplicaSet is one revision of the Deployment.
type mReplicaSet struct {
	rev      int
	replicas int
}

// mDeployment is the one-replica Deployment: RollingUpdate with maxSurge 1, maxUnavailable 0.
type mDeployment struct {
	exists bool
	rs     []mReplicaSet // rs[i].rev == i+1
}

// mStatefulSet is the one-replica StatefulSet: pod db-0.
type mStatefulSet struct {
	exists    bool
	updateRev int
}

// mOperator is the operator process: its informer caches, the writes a deposed leader still
// has in flight, and what the adapter keeps in memory between reconciles.
type mOperator struct {
	up      bool
	pods    watchCache[mPod]
	sss     watchCache[mSS]
	nodes   watchCache[mNode]
	pending []apiWrite
	memory  string
	// The gate channel's server (modelcheck_gate_test.go): its ledger, in memory only, and the
	// start registrations it checked against its pod cache and has not committed yet.
	ledger      []ledgerEntry
	registering []gateMsg
	// released lists the pods whose release the server pushed (sorted UIDs): it pushes it
	// again to every session of theirs that opens later.
	released []int
	// begun is a reconcile decided and not carried out yet (evReconcileBegin).
	begun *begunReconcile
}

// world is one state of the model.
type world struct {
	cfg *worldConfig

	pods   []mPod // sorted by name
	sss    []mSS  // sorted by name
	nodes  []mNode
	rts    []mRuntime // sorted by uid
	deploy mDeployment
	sts    mStatefulSet

	webhookUp bool
	op        mOperator
	// net holds the gate channel's messages in flight, in the order sent; any may be delivered
	// next (late), lost, or duplicated.
	net []gateMsg

	// budget is what is left of the events that have one; -1 is no limit.
	budget [numEvKinds]int8

	seq int // the last UID and creation order given
	rv  int // the last resourceVersion given

	// bookkeeping: the nodes of the released or unguarded pods whose object went while their
	// application was not visibly stopped (ActivePodVanished asks to fence them), sorted.
	unconfirmedGone []string
	// bookkeeping: the pod the operator asked to stop though it was the one it handed over to.
	stoppedCandidate string
}

// worldConfig is what does not change along a run: the scenario's choices.
type worldConfig struct {
	enabled kindSet
	// lag lists the kinds whose operator cache lags behind the API (watch events delivered by
	// separate sync steps); the others are caught up after every step.
	lagPods, lagSingletons, lagNodes bool
	// failClosed: while the webhook is down, creating a selected pod is refused (the
	// project's plan); false is today's failurePolicy Ignore: the pod is created unprepared.
	failClosed bool
	// singletons lists the StatefulSingleton names admins may create.
	singletons []string
	// nodeNames lists the nodes, in scheduling order.
	nodeNames []string
	// fast: the webhook wraps application containers with the supervising gate and its channel.
	fast bool
	// broken removes one safety piece of the fast path, to show that the checker sees it.
	broken brokenPiece
}

func (w *world) clone() *world {
	c := *w
	c.pods = slices.Clone(w.pods)
	c.sss = slices.Clone(w.sss)
	c.nodes = slices.Clone(w.nodes)
	c.rts = slices.Clone(w.rts)
	c.deploy.rs = slices.Clone(w.deploy.rs)
	c.op.pods = w.op.pods.clone()
	c.op.sss = w.op.sss.clone()
	c.op.nodes = w.op.nodes.clone()
	c.op.pending = slices.Clone(w.op.pending)
	c.op.ledger = slices.Clone(w.op.ledger)
	c.op.registering = slices.Clone(w.op.registering)
	c.op.released = slices.Clone(w.op.released)
	c.net = slices.Clone(w.net)
	c.unconfirmedGone = slices.Clone(w.unconfirmedGone)
	return &c
}

func (w *world) nextRV() int {
	w.rv++
	return w.rv
}

func (w *world) nextSeq() int {
	w.seq++
	return w.seq
}

// podUID renders a model UID as the object's UID.
func podUID(uid int) string { return "u" + strconv.Itoa(uid) }

// podName renders a pod for traces: name/uid.
func (p *mPod) String() string { return p.name + "/" + podUID(p.uid) }

func (w *world) podIndex(name string) int {
	i, ok := slices.BinarySearchFunc(w.pods, name, func(p mPod, n string) int { return cmpString(p.name, n) })
	if !ok {
		return -1
	}
	return i
}

func (w *world) pod(name string) *mPod {
	if i := w.podIndex(name); i >= 0 {
		return &w.pods[i]
	}
	return nil
}

// podByUID returns the pod object of that UID, nil once it is gone.
func (w *world) podByUID(uid int) *mPod {
	for i := range w.pods {
		if w.pods[i].uid == uid {
			return &w.pods[i]
		}
	}
	return nil
}

func (w *world) ss(name string) *mSS {
	for i := range w.sss {
		if w.sss[i].name == name {
			return &w.sss[i]
		}
	}
	return nil
}

func (w *world) node(name string) *mNode {
	for i := range w.nodes {
		if w.nodes[i].name == name {
			return &w.nodes[i]
		}
	}
	return nil
}

func (w *world) runtime(uid int) *mRuntime {
	for i := range w.rts {
		if w.rts[i].uid == uid {
			return &w.rts[i]
		}
	}
	return nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// putPod stores a new pod object, keeping the list sorted, and gives it a resourceVersion.
func (w *world) putPod(p mPod) {
	i, _ := slices.BinarySearchFunc(w.pods, p.name, func(q mPod, n string) int { return cmpString(q.name, n) })
	w.pods = slices.Insert(w.pods, i, p)
	w.touchPod(&w.pods[i])
}

// touchPod records a write of the pod: a new resourceVersion, and a watch event for a lagging
// cache.
func (w *world) touchPod(p *mPod) {
	p.rv = w.nextRV()
	if w.cfg.lagPods {
		w.op.pods.queue = append(w.op.pods.queue, watchEvent[mPod]{obj: *p})
	}
}

// finishPodDeletion removes the pod's object when its deletion is complete: requested, the
// grace period over, and no finalizer left. It reports whether the object went.
func (w *world) finishPodDeletion(name string) bool {
	i := w.podIndex(name)
	if i < 0 {
		return true
	}
	p := w.pods[i]
	if !p.deleting || !p.graceDone || p.finalizer {
		return false
	}
	mayHaveRun := p.release == p.uid || !p.gated
	if mayHaveRun && !w.visiblyStopped(&p) && p.node != "" && !slices.Contains(w.unconfirmedGone, p.node) {
		w.unconfirmedGone = append(w.unconfirmedGone, p.node)
		slices.Sort(w.unconfirmedGone)
	}
	w.pods = slices.Delete(w.pods, i, i+1)
	if w.cfg.lagPods {
		w.op.pods.queue = append(w.op.pods.queue, watchEvent[mPod]{obj: p, gone: true})
	}
	return true
}

// deletePod requests the pod's deletion as the API server does it: grace 0, an unscheduled
// pod and a pod in a terminal phase go at once (once no finalizer holds them).
func (w *world) deletePod(p *mPod, grace int64) {
	changed := !p.deleting
	p.deleting = true
	if (grace == 0 || p.node == "" || p.phase.terminal()) && !p.graceDone {
		p.graceDone, changed = true, true
	}
	if changed {
		w.touchPod(p)
	}
	w.finishPodDeletion(p.name)
}

func (w *world) putSS(s mSS) {
	w.sss = append(w.sss, s)
	sort.Slice(w.sss, func(i, j int) bool { return w.sss[i].name < w.sss[j].name })
	w.touchSS(w.ss(s.name))
}

func (w *world) touchSS(s *mSS) {
	s.rv = w.nextRV()
	if w.cfg.lagSingletons {
		w.op.sss.queue = append(w.op.sss.queue, watchEvent[mSS]{obj: *s})
	}
}

// finishSSDeletion removes a StatefulSingleton being deleted once no finalizer holds it.
func (w *world) finishSSDeletion(name string) {
	for i := range w.sss {
		s := w.sss[i]
		if s.name == name && s.deleting && !s.finalizer {
			w.sss = slices.Delete(w.sss, i, i+1)
			if w.cfg.lagSingletons {
				w.op.sss.queue = append(w.op.sss.queue, watchEvent[mSS]{obj: s, gone: true})
			}
			return
		}
	}
}

func (w *world) touchNode(n *mNode) {
	n.rv = w.nextRV()
	if w.cfg.lagNodes {
		w.op.nodes.queue = append(w.op.nodes.queue, watchEvent[mNode]{obj: *n, gone: !n.exists})
	}
}

// apiNodes is the list of Node objects in the API: those that exist.
func apiNodes(nodes []mNode) []mNode {
	var out []mNode
	for _, n := range nodes {
		if n.exists {
			out = append(out, n)
		}
	}
	return out
}

// catchUpCaches brings the caches that do not lag to the API's state, as after every step.
func (w *world) catchUpCaches() {
	if !w.op.up {
		return
	}
	// The world is not changed after this step (the next one changes a clone), so the caches
	// may share the API's slices.
	if !w.cfg.lagPods {
		w.op.pods = watchCache[mPod]{objs: slices.Clip(w.pods)}
	}
	if !w.cfg.lagSingletons {
		w.op.sss = watchCache[mSS]{objs: slices.Clip(w.sss)}
	}
	if !w.cfg.lagNodes {
		w.op.nodes = watchCache[mNode]{objs: apiNodes(w.nodes)}
	}
}

// freshCaches gives the operator caches listed from the API now, as a starting process has.
func (w *world) freshCaches() {
	w.op.pods = watchCache[mPod]{objs: slices.Clone(w.pods)}
	w.op.sss = watchCache[mSS]{objs: slices.Clone(w.sss)}
	w.op.nodes = watchCache[mNode]{objs: apiNodes(w.nodes)}
}

// cachesCaughtUp reports whether every operator cache holds what the API holds.
func (w *world) cachesCaughtUp() bool {
	return len(w.op.pods.queue) == 0 && len(w.op.sss.queue) == 0 && len(w.op.nodes.queue) == 0
}

// selectsPod reports whether a StatefulSingleton's selector matches the pod's labels.
func (s *mSS) selectsPod(p *mPod) bool { return s.selects && p.app }

// selectedNow reports whether a StatefulSingleton in the API selects the pod.
func (w *world) selectedNow(p *mPod) bool {
	for i := range w.sss {
		if w.sss[i].selectsPod(p) {
			return true
		}
	}
	return false
}

// guaranteeApplies reports whether S1 covers the start of the pod's application: a
// StatefulSingleton in the API, not being deleted, selects the workload's pods, or the pod was
// prepared for one that still exists (one being deleted finishes what it began; pods created
// from then on are not prepared, by design).
func (w *world) guaranteeApplies(p *mPod) bool {
	for i := range w.sss {
		if w.sss[i].selects && !w.sss[i].deleting {
			return true
		}
	}
	return p.gated && w.ss(p.instance) != nil
}

// startApp starts the application of the runtime, and notes whether it starts, under the
// guarantee, beside another one. Only a gated application counts: the operator answers for
// those it lets start; an ungated one is S3's (or outside the contract, for a pod that no
// StatefulSingleton selected when it was created).
//
// Nor does an application that runs outside the contract and began after the release: a pod
// created unprepared while no StatefulSingleton (not being deleted) selected the workload's
// pods, after the release that this gate now acts on was written. The user had removed the
// guarantee (the StatefulSingleton deleted or being deleted) when that pod came; no decision
// could weigh a pod that did not exist, and a release once written is never taken back (the
// gate may have read it). The operator reports such a pod as unguarded once a
// StatefulSingleton selects it again (S3). A pod that existed before the release is never
// exempt: the decision had to count it.
func (w *world) startApp(rt *mRuntime, p *mPod) {
	others := 0
	for i := range w.rts {
		o := &w.rts[i]
		if o.app && o.uid != rt.uid && !w.cameAfterGuaranteeEnded(o, p) {
			others++
		}
	}
	rt.app, rt.ran = true, true
	rt.overlap = others > 0 && p.gated && w.guaranteeApplies(p)
}

// startOrphanApp is startApp for a runtime whose pod object is gone: the guarantee applies
// while the StatefulSingleton it was prepared for exists, or one selects the workload.
func (w *world) startOrphanApp(rt *mRuntime) {
	others := 0
	for i := range w.rts {
		if o := &w.rts[i]; o.app && o.uid != rt.uid {
			others++
		}
	}
	rt.app, rt.ran = true, true
	applies := w.ss(rt.instance) != nil
	for i := range w.sss {
		applies = applies || w.sss[i].selects && !w.sss[i].deleting
	}
	rt.overlap = others > 0 && rt.gated && applies
}

// cameAfterGuaranteeEnded reports whether the runtime o belongs to a pod that was created
// unprepared, while no StatefulSingleton (not being deleted) selected the workload's pods, after
// the release of p was written (see startApp). The pod's UID is its creation sequence; a runtime
// whose object is gone is counted (nothing shows how it was created).
func (w *world) cameAfterGuaranteeEnded(o *mRuntime, p *mPod) bool {
	q := w.podByUID(o.uid)
	return q != nil && !q.gated && !q.selectedAtCreation && p.release == p.uid && q.seq > p.releasedAt
}

// ownerInfo is what the workload controllers' objects say about a pod's owner, as the
// operator reads them (the model does not let these caches lag).
type ownerInfo struct {
	kind     ownerKind
	rev      int // a ReplicaSet's revision number; the StatefulSet's update revision
	replicas int
	found    bool
}

func (w *world) ownerOf(p *mPod) ownerInfo {
	switch p.owner {
	case ownerReplicaSet:
		if w.deploy.exists && p.rev >= 1 && p.rev <= len(w.deploy.rs) {
			rs := w.deploy.rs[p.rev-1]
			return ownerInfo{kind: ownerReplicaSet, rev: rs.rev, replicas: rs.replicas, found: true}
		}
	case ownerStatefulSet:
		if w.sts.exists {
			return ownerInfo{kind: ownerStatefulSet, rev: w.sts.updateRev, replicas: 1, found: true}
		}
	}
	return ownerInfo{}
}

// appsRunning lists the runtimes whose application runs.
func (w *world) appsRunning() []mRuntime {
	var out []mRuntime
	for _, rt := range w.rts {
		if rt.app {
			out = append(out, rt)
		}
	}
	return out
}

// gcRuntimes forgets what no kubelet runs any more: runtimes of a pod object that is gone and
// whose container does not run (a kubelet restarts no orphan).
func (w *world) gcRuntimes() {
	w.rts = slices.DeleteFunc(w.rts, func(rt mRuntime) bool {
		return rt.ctr != ctrRunning && !rt.app && w.podByUID(rt.uid) == nil
	})
}

// hash names the state. resourceVersions are replaced by their rank among those the state
// holds: only their order and equality matter, so two states that differ in the numbering
// alone are one.
func (w *world) hash() [16]byte {
	var e encoder
	return w.hashWith(&e)
}

// hashSeeds make two independent 64-bit hashes of a state's encoding.
var hashSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// hashWith is hash with a buffer to reuse.
func (w *world) hashWith(e *encoder) [16]byte {
	e.buf = e.buf[:0]
	e.rvs = w.collectRVs(e.rvs[:0])
	w.encode(e)
	var out [16]byte
	binary.LittleEndian.PutUint64(out[:8], maphash.Bytes(hashSeeds[0], e.buf))
	binary.LittleEndian.PutUint64(out[8:], maphash.Bytes(hashSeeds[1], e.buf))
	return out
}

func (w *world) collectRVs(rvs []int) []int {
	// A cache that does not lag (and is not encoded, see encodeOperator) holds the API's
	// resourceVersions: collecting them adds none.
	for i := range w.pods {
		rvs = append(rvs, w.pods[i].rv)
	}
	for i := range w.sss {
		rvs = append(rvs, w.sss[i].rv)
	}
	for i := range w.nodes {
		rvs = append(rvs, w.nodes[i].rv)
	}
	for i := range w.op.pods.objs {
		rvs = append(rvs, w.op.pods.objs[i].rv)
	}
	for _, ev := range w.op.pods.queue {
		rvs = append(rvs, ev.obj.rv)
	}
	for _, s := range w.op.sss.objs {
		rvs = append(rvs, s.rv)
	}
	for _, ev := range w.op.sss.queue {
		rvs = append(rvs, ev.obj.rv)
	}
	for _, n := range w.op.nodes.objs {
		rvs = append(rvs, n.rv)
	}
	for _, ev := range w.op.nodes.queue {
		rvs = append(rvs, ev.obj.rv)
	}
	for _, wr := range w.op.pending {
		rvs = append(rvs, wr.rv)
	}
	if b := w.op.begun; b != nil {
		for _, wr := range b.dec.writes {
			rvs = append(rvs, wr.rv)
		}
	}
	slices.Sort(rvs)
	return slices.Compact(rvs)
}

// encoder writes a canonical byte encoding of a state.
type encoder struct {
	buf []byte
	rvs []int // when set, resourceVersions are encoded by rank
}

func (e *encoder) int(v int) { e.buf = binary.AppendVarint(e.buf, int64(v)) }
func (e *encoder) str(s string) {
	e.int(len(s))
	e.buf = append(e.buf, s...)
}
func (e *encoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}
func (e *encoder) rv(v int) {
	if e.rvs == nil {
		e.int(v)
		return
	}
	i, _ := slices.BinarySearch(e.rvs, v)
	e.int(i)
}

func (e *encoder) pod(p *mPod) {
	e.str(p.name)
	e.int(p.uid)
	e.rv(p.rv)
	e.int(p.seq)
	e.int(int(p.owner))
	e.int(p.rev)
	e.bool(p.app)
	e.bool(p.managed)
	e.str(p.instance)
	e.bool(p.gated)
	e.bool(p.supervised)
	e.int(p.release)
	e.int(p.releasedAt)
	e.int(p.stopConfirmed)
	e.bool(p.finalizer)
	e.bool(p.deleting)
	e.bool(p.graceDone)
	e.str(p.node)
	e.int(int(p.phase))
	e.int(int(p.ctr))
	e.int(int(p.restarts))
	e.bool(p.ready)
	e.bool(p.selectedAtCreation)
}

func (e *encoder) ss(s *mSS) {
	e.str(s.name)
	e.int(s.uid)
	e.rv(s.rv)
	e.int(s.seq)
	e.bool(s.selects)
	e.bool(s.deleting)
	e.bool(s.finalizer)
	e.int(s.status.id)
}

func (e *encoder) node(n *mNode) {
	e.str(n.name)
	e.rv(n.rv)
	e.bool(n.exists)
	e.bool(n.oos)
	e.bool(n.up)
}

func (e *encoder) write(wr *apiWrite) {
	e.int(int(wr.op))
	e.str(wr.name)
	e.rv(wr.rv)
	e.bool(wr.chainRV)
	e.int(wr.uid)
	e.int(int(wr.grace))
	e.int(wr.releaseUID)
	e.int(wr.status.id)
	e.bool(wr.ignoreNotFound)
	e.bool(wr.ignoreConflict)
	e.bool(wr.stopsCandidate)
}

func (w *world) encode(e *encoder) {
	e.int(len(w.pods))
	for i := range w.pods {
		e.pod(&w.pods[i])
	}
	e.int(len(w.sss))
	for i := range w.sss {
		e.ss(&w.sss[i])
	}
	for i := range w.nodes {
		e.node(&w.nodes[i])
	}
	e.int(len(w.rts))
	for _, rt := range w.rts {
		e.int(rt.uid)
		e.str(rt.pod)
		e.str(rt.node)
		e.bool(rt.gated)
		e.bool(rt.supervised)
		e.str(rt.instance)
		e.int(int(rt.ctr))
		e.bool(rt.app)
		e.bool(rt.ran)
		e.bool(rt.overlap)
		e.bool(rt.killed)
		e.int(int(rt.restarts))
		e.gate(&rt.gate)
	}
	e.int(len(w.net))
	for i := range w.net {
		e.msg(&w.net[i])
	}
	e.bool(w.deploy.exists)
	e.int(len(w.deploy.rs))
	for _, rs := range w.deploy.rs {
		e.int(rs.replicas)
	}
	e.bool(w.sts.exists)
	e.int(w.sts.updateRev)
	e.bool(w.webhookUp)
	w.encodeOperator(e)
	for _, b := range w.budget {
		e.int(int(b))
	}
	e.int(len(w.unconfirmedGone))
	for _, n := range w.unconfirmedGone {
		e.str(n)
	}
	e.str(w.stoppedCandidate)
}

func (w *world) encodeOperator(e *encoder) {
	e.bool(w.op.up)
	// A cache that does not lag holds what the API holds while the operator is up: encoding
	// it again would add nothing.
	if !w.op.up || w.cfg.lagPods {
		encodeCache(e, &w.op.pods, e.pod)
	}
	if !w.op.up || w.cfg.lagSingletons {
		encodeCache(e, &w.op.sss, e.ss)
	}
	if !w.op.up || w.cfg.lagNodes {
		encodeCache(e, &w.op.nodes, e.node)
	}
	e.int(len(w.op.pending))
	for i := range w.op.pending {
		e.write(&w.op.pending[i])
	}
	e.str(w.op.memory)
	e.int(len(w.op.ledger))
	for i := range w.op.ledger {
		e.ledgerEntry(&w.op.ledger[i])
	}
	e.int(len(w.op.registering))
	for i := range w.op.registering {
		e.msg(&w.op.registering[i])
	}
	e.int(len(w.op.released))
	for _, uid := range w.op.released {
		e.int(uid)
	}
	e.bool(w.op.begun != nil)
	if b := w.op.begun; b != nil {
		e.str(b.name)
		e.str(b.dec.memory)
		e.int(len(b.dec.memorySteps))
		for _, step := range b.dec.memorySteps {
			e.int(step.write)
			e.str(step.memory)
		}
		e.int(len(b.dec.writes))
		for i := range b.dec.writes {
			e.write(&b.dec.writes[i])
		}
	}
}

func encodeCache[T keyed](e *encoder, c *watchCache[T], item func(*T)) {
	e.int(len(c.objs))
	for i := range c.objs {
		item(&c.objs[i])
	}
	e.int(len(c.queue))
	for i := range c.queue {
		e.bool(c.queue[i].gone)
		item(&c.queue[i].obj)
	}
}
