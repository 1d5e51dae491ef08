package reportedstate

import "slices"

// echoes remembers, per object, the resourceVersions the operator's last writes produced, so
// that their watch events (the echoes of its own writes) do not queue the object again: the
// reconcile that wrote them had decided from everything those events carry. Without it every
// change costs two reconciles, the second deciding that nothing is to be written.
//
// A reconcile that decided from an older version than the last write (the cache had not caught
// up) forgets the entry: the echo then queues the object, and the next reconcile decides from
// what was written. The zero value is not usable; the connection guards it with its mutex.
type echoes map[objectRef][]string

// wrote records the versions a reconcile's writes produced, in order.
func (e echoes) wrote(ref objectRef, versions []string) {
	if len(versions) == 0 {
		return
	}
	e[ref] = versions
}

// decidedFrom records that a reconcile decided from version: unless that is the last write,
// the echoes of the writes must queue the object again.
func (e echoes) decidedFrom(ref objectRef, version string) {
	v, ok := e[ref]
	if ok && v[len(v)-1] != version {
		delete(e, ref)
	}
}

// isEcho tells whether an update to version is the echo of a write of the operator, and
// forgets it (and the writes before it).
func (e echoes) isEcho(ref objectRef, version string) bool {
	v := e[ref]
	i := slices.Index(v, version)
	if i < 0 {
		return false
	}
	if i == len(v)-1 {
		delete(e, ref)
	} else {
		e[ref] = v[i+1:]
	}
	return true
}

// forget drops what is known of an object that is gone.
func (e echoes) forget(ref objectRef) { delete(e, ref) }
