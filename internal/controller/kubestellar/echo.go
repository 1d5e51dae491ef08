package kubestellar

import "slices"

// echoes tells the watch events of the operator's own writes (their echoes) from other
// updates of the WDS objects, so that an echo does not queue the object again: the reconcile
// that wrote it had decided from everything it carries. Without it every change costs two
// reconciles, the second deciding that nothing is to be written.
//
// The API server may deliver an echo before the write's response: updates that arrive while
// a reconcile writes are held (writing) and judged by the versions its writes produced (wrote).
// A reconcile that decided from an older version than the last write (the cache had not caught
// up) forgets what it expected (decidedFrom): the echo then queues the object, and the next
// reconcile decides from what was written. The objectBook holds echoes, under its lock.
type echoes map[objectRef]*echo

// echo is what is known of one object's writes.
type echo struct {
	// writing: a reconcile is writing; seen holds the versions of the updates watched meanwhile.
	writing bool
	seen    []string
	// expect are the versions of the last writes whose updates are still to come.
	expect []string
}

// writing records that a reconcile is about to write ref.
func (e echoes) writing(ref objectRef) {
	e[ref] = &echo{writing: true}
}

// wrote records the versions the reconcile's writes produced, in order, and tells whether an
// update watched while it wrote was not one of them: the object is then to be queued again.
func (e echoes) wrote(ref objectRef, versions []string) (requeue bool) {
	x := e[ref]
	if x == nil {
		x = &echo{}
	}
	expect := slices.Clone(versions)
	for _, v := range x.seen {
		if i := slices.Index(expect, v); i >= 0 {
			expect = slices.Delete(expect, i, i+1)
		} else {
			requeue = true
		}
	}
	if len(expect) == 0 {
		delete(e, ref)
		return requeue
	}
	e[ref] = &echo{expect: expect}
	return requeue
}

// decidedFrom records that a reconcile decided from version: unless that is the last write,
// the echoes still to come must queue the object again.
func (e echoes) decidedFrom(ref objectRef, version string) {
	if x := e[ref]; x != nil && !x.writing && x.expect[len(x.expect)-1] != version {
		delete(e, ref)
	}
}

// isEcho tells whether an update of ref to version is not to queue the object: the echo of a
// write of the operator (forgotten once seen), or an update held while a reconcile writes.
func (e echoes) isEcho(ref objectRef, version string) bool {
	x := e[ref]
	switch {
	case x == nil:
		return false
	case x.writing:
		x.seen = append(x.seen, version)
		return true
	}
	i := slices.Index(x.expect, version)
	if i < 0 {
		return false
	}
	if x.expect = x.expect[i+1:]; len(x.expect) == 0 {
		delete(e, ref)
	}
	return true
}

// forget drops what is known of an object that is gone.
func (e echoes) forget(ref objectRef) { delete(e, ref) }
