package gatechannel

import (
	"errors"
	"maps"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// ErrStartedSince is returned by Consume when a start of one of the pod's containers was
// registered after the snapshot the proof was read from: the proof is stale.
var ErrStartedSince = errors.New("a container of the pod registered a start since the snapshot")

// Results of an exit report, the values of the result label of the reports metric.
const (
	ReportRecorded  = "recorded"  // the exit of the container's latest registered start
	ReportDuplicate = "duplicate" // that exit was recorded already
	ReportStale     = "stale"     // a later start of the container is registered: ignored
)

// Ledger is what the channel learned from the gates, in memory only: per pod UID and container,
// the latest registered start and whether its exit was reported; and the pods whose reports were
// consumed (used to release another pod), which may never start an application again. One
// mutex guards it all, so that Consume and a start registration are ordered. A new leader
// starts with an empty ledger: no fast proof until gates report again, and today's proofs
// meanwhile (docs/design.md, S6).
type Ledger struct {
	mu      sync.Mutex
	version uint64
	pods    map[types.UID]*podEntry
}

type podEntry struct {
	containers map[string]ContainerRecord
	consumed   bool
	// startVersion is the ledger version at the pod's latest start registration.
	startVersion uint64
}

// Snapshot is a copy of the ledger's records of some pods, taken at Version. It is what a
// decision reads; Consume(pod, Version) later fails if a start registered since.
type Snapshot struct {
	Version uint64
	Pods    map[types.UID]PodRecord
}

// PodRecord is what the ledger holds about one pod.
type PodRecord struct {
	Containers map[string]ContainerRecord
	// Consumed: the pod's exit reports released another pod; it may not start again.
	Consumed bool
}

// ContainerRecord is what the ledger holds about one container of a pod.
type ContainerRecord struct {
	// Start is the latest registered start (sessions, StartedPath requests and reports name it).
	Start int
	// Exited: the exit of Start was reported, at ExitedAt, with ExitCode.
	Exited   bool
	ExitedAt time.Time
	ExitCode int
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{pods: map[types.UID]*podEntry{}} }

func (l *Ledger) entry(pod types.UID) *podEntry {
	e := l.pods[pod]
	if e == nil {
		e = &podEntry{containers: map[string]ContainerRecord{}}
		l.pods[pod] = e
	}
	return e
}

// register records start of the container when it is later than the one known; l.mu is held.
func (l *Ledger) register(e *podEntry, container string, start int) {
	if rec, ok := e.containers[container]; ok && rec.Start >= start {
		return
	}
	l.version++
	e.containers[container] = ContainerRecord{Start: start}
	e.startVersion = l.version
}

// Opened records a session's start of a container (gatewire.Hello).
func (l *Ledger) Opened(pod types.UID, container string, start int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.register(l.entry(pod), container, start)
}

// Started answers a gate that asks to start its application again after an earlier start of
// the container reported its exit (gatewire.StartedPath): refused when the pod is being deleted
// (deleting, as the caller's cache shows it) or consumed; else the start is registered, which
// invalidates the exit reports of the container's earlier starts, and allowed.
func (l *Ledger) Started(pod types.UID, container string, start int, deleting bool) (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entry(pod)
	switch {
	case e.consumed:
		return false, "the pod's stop was used to release another pod"
	case deleting:
		return false, "the pod is being deleted"
	}
	l.register(e, container, start)
	return true, ""
}

// Exited records that the application of a start of the container exited, its process tree
// gone, and returns one of ReportRecorded, ReportDuplicate, ReportStale. A report of a start
// later than the one known registers that start too.
func (l *Ledger) Exited(pod types.UID, container string, start, exitCode int, at time.Time) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entry(pod)
	rec, known := e.containers[container]
	switch {
	case known && start < rec.Start:
		return ReportStale
	case known && start == rec.Start && rec.Exited:
		return ReportDuplicate
	}
	l.register(e, container, start)
	e.containers[container] = ContainerRecord{Start: start, Exited: true, ExitedAt: at, ExitCode: exitCode}
	return ReportRecorded
}

// Snapshot copies the records of the pods named.
func (l *Ledger) Snapshot(pods ...types.UID) Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Snapshot{Version: l.version, Pods: map[types.UID]PodRecord{}}
	for _, uid := range pods {
		if e := l.pods[uid]; e != nil {
			s.Pods[uid] = PodRecord{Containers: maps.Clone(e.containers), Consumed: e.consumed}
		}
	}
	return s
}

// Consume marks the pod's exit reports as used to release another pod, if no start of its
// containers registered after the snapshot of the given version; else it returns
// ErrStartedSince and changes nothing. A consumed pod is refused every later start.
func (l *Ledger) Consume(pod types.UID, version uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entry(pod)
	if e.startVersion > version {
		return ErrStartedSince
	}
	e.consumed = true
	return nil
}

// Consumed reports whether the pod's reports were consumed.
func (l *Ledger) Consumed(pod types.UID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.pods[pod]
	return e != nil && e.consumed
}

// Forget drops what the ledger holds about a pod whose object is gone: no gate of it can open a
// session any more (its token is bound to the object, and the channel requires the pod).
func (l *Ledger) Forget(pod types.UID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pods, pod)
}

// AllExited reports whether the snapshot holds, for every container named, the exit of its
// latest registered start, and the latest time one was reported. No container named, or an
// unknown pod, proves nothing.
func (s Snapshot) AllExited(pod types.UID, containers []string) (time.Time, bool) {
	rec, ok := s.Pods[pod]
	if !ok || len(containers) == 0 {
		return time.Time{}, false
	}
	var last time.Time
	for _, name := range containers {
		c, ok := rec.Containers[name]
		if !ok || !c.Exited {
			return time.Time{}, false
		}
		if c.ExitedAt.After(last) {
			last = c.ExitedAt
		}
	}
	return last, true
}
