package kubestellar

import (
	"slices"
	"sync"
	"time"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// objectBook is what a connection keeps about each WDS object from one reconcile of it to the
// next: the mode and the WECs' health of its last decision (the counts of the status and the
// metrics), the earliest WorkStatus change not yet returned into it (the propagation lag), the
// echoes of the operator's writes still to come (see echoes), and the refusal of its last write
// already reported (one event per object and reason).
//
// The object reconcilers and the watch handlers share it; its lock is its own, taken only inside
// its methods and never while calling out.
type objectBook struct {
	mu      sync.Mutex
	modes   map[objectRef]string
	health  wecHealth
	pending map[objectRef]time.Time
	echoes  echoes
	refused map[objectRef]string
	// notes are the causes already told of each object (an event once per object and cause).
	notes map[objectRef]map[string]string
	// gones counts each object's writes in a row that found nothing (404), for their backoff.
	gones map[objectRef]int
	// secondWriter is when KubeStellar's status controller was last seen writing each object
	// after the operator (see secondWriterQuiet).
	secondWriter map[objectRef]time.Time
}

// Causes the book notes about an object, the reasons of their events.
const (
	// causeSingletonWrongWECCount: singleton reported state requested on other than one WEC.
	causeSingletonWrongWECCount = "SingletonWrongWECCount"
	// causeMalformedReport: a WEC's status the summary cannot read, left out of it.
	causeMalformedReport = "MalformedReport"
)

// newObjectBook returns an empty book.
func newObjectBook() *objectBook {
	return &objectBook{
		modes: map[objectRef]string{}, health: newWECHealth(), pending: map[objectRef]time.Time{},
		echoes: echoes{}, refused: map[objectRef]string{}, notes: map[objectRef]map[string]string{},
		secondWriter: map[objectRef]time.Time{},
		gones:        map[objectRef]int{},
	}
}

// pendingReport is the earliest WorkStatus change of an object not yet returned into it, as a
// reconcile took it from the book (ok: there was one).
type pendingReport struct {
	at time.Time
	ok bool
}

// markPending records that a WorkStatus of ref written at t waits to be returned; the earliest
// such time counts.
func (b *objectBook) markPending(ref objectRef, t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.pending[ref]; !ok || t.Before(old) {
		b.pending[ref] = t
	}
}

// takePending returns and forgets the pending report of ref.
func (b *objectBook) takePending(ref objectRef) pendingReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.pending[ref]
	delete(b.pending, ref)
	return pendingReport{at: t, ok: ok}
}

// restorePending puts back a pending report a reconcile took and did not return, unless a
// WorkStatus change noted meanwhile is earlier.
func (b *objectBook) restorePending(ref objectRef, p pendingReport) {
	if p.ok {
		b.markPending(ref, p.at)
	}
}

// decidedFrom records the version of ref a reconcile decided from (see echoes).
func (b *objectBook) decidedFrom(ref objectRef, version string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.echoes.decidedFrom(ref, version)
}

// decided records a decision about ref made from version: the version for the echoes, the mode
// and the WECs' health for the counts. modeNone forgets the object, as forget does.
func (b *objectBook) decided(ref objectRef, version, mode string, health []summary.Health) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.echoes.decidedFrom(ref, version)
	b.health.set(ref, health)
	if mode == modeNone {
		b.forgetLocked(ref)
		return
	}
	b.modes[ref] = mode
}

// forget drops what is known of an object there is nothing to decide about (gone, or no longer
// asked for), but a pending report, and tells whether it was counted as misconfigured.
func (b *objectBook) forget(ref objectRef) (wasMisconfigured bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, wasMisconfigured = b.notes[ref][causeSingletonWrongWECCount]
	b.health.set(ref, nil)
	b.forgetLocked(ref)
	return wasMisconfigured
}

func (b *objectBook) forgetLocked(ref objectRef) {
	delete(b.secondWriter, ref)
	delete(b.modes, ref)
	delete(b.refused, ref)
	delete(b.notes, ref)
	delete(b.gones, ref)
	b.echoes.forget(ref)
}

// gone records that a write of ref found nothing (404) and returns how many in a row did.
func (b *objectBook) gone(ref objectRef) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gones[ref]++
	return b.gones[ref]
}

// note records the message of a cause about ref ("" ends it) and tells whether it is news (a
// message not told before for ref and cause: an event is due) and whether it changed at all.
func (b *objectBook) note(ref objectRef, cause, msg string) (news, changed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	before := b.notes[ref][cause]
	if before == msg {
		return false, false
	}
	if msg == "" {
		delete(b.notes[ref], cause)
		if len(b.notes[ref]) == 0 {
			delete(b.notes, ref)
		}
		return false, true
	}
	if b.notes[ref] == nil {
		b.notes[ref] = map[string]string{}
	}
	b.notes[ref][cause] = msg
	return true, true
}

// sawSecondWriter records whether a decision about ref saw KubeStellar's status controller
// writing after the operator, and tells whether it was seen within quiet of now: the two take
// turns, so each of the operator's own writes hides the other's until its next one.
func (b *objectBook) sawSecondWriter(ref objectRef, seen bool, now time.Time, quiet time.Duration) (recent bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if seen {
		b.secondWriter[ref] = now
	}
	last, ok := b.secondWriter[ref]
	if ok && now.Sub(last) >= quiet {
		delete(b.secondWriter, ref)
		ok = false
	}
	return ok
}

// writing records that a reconcile is about to write ref (see echoes).
func (b *objectBook) writing(ref objectRef) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.echoes.writing(ref)
}

// wrote records the versions the writes of a reconcile of ref produced, and tells whether ref
// is to be queued again (see echoes).
func (b *objectBook) wrote(ref objectRef, versions []string) (requeue bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.echoes.wrote(ref, versions)
}

// isEcho tells whether an update of ref to version is the echo of the operator's write.
func (b *objectBook) isEcho(ref objectRef, version string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.echoes.isEcho(ref, version)
}

// refuse records that the WDS refused a write of ref with msg, and tells whether msg is news:
// not the refusal already recorded for ref.
func (b *objectBook) refuse(ref objectRef, msg string) (news bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	before := b.refused[ref]
	b.refused[ref] = msg
	return before != msg
}

// accept forgets the refusal and the 404s of ref: the WDS took a write.
func (b *objectBook) accept(ref objectRef) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.refused, ref)
	delete(b.gones, ref)
}

// bookCounts are the book's counts, as the status and the metrics show them.
type bookCounts struct {
	Singleton, MultiWEC int
	// Health counts the objects by WEC and kstatus.
	Health map[wecStatus]int
	// Misconfigured are the objects asking singleton reported state on other than one WEC,
	// sorted.
	Misconfigured []string
	// SecondWriters are the objects another controller writes too, sorted.
	SecondWriters []string
}

// counts counts the objects by mode, and by WEC and kstatus.
func (b *objectBook) counts() bookCounts {
	b.mu.Lock()
	defer b.mu.Unlock()
	var n bookCounts
	for _, m := range b.modes {
		switch m {
		case modeSingleton:
			n.Singleton++
		case modeMultiWEC:
			n.MultiWEC++
		}
	}
	n.Health = b.health.snapshot()
	for ref, causes := range b.notes {
		if _, ok := causes[causeSingletonWrongWECCount]; ok {
			n.Misconfigured = append(n.Misconfigured, ref.String())
		}
		if _, ok := causes[causeSecondWriter]; ok {
			n.SecondWriters = append(n.SecondWriters, ref.String())
		}
	}
	slices.Sort(n.Misconfigured)
	slices.Sort(n.SecondWriters)
	return n
}
