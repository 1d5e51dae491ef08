package kubestellar

import (
	"time"
)

// receivedSkew is how far the status write (managedFields, one-second resolution) may lie before
// the moment the operator received a WorkStatus and still count as the same change.
const receivedSkew = 2 * time.Second

// writtenTime is the best time the API gives for the write of a WorkStatus's status: the moment
// the operator's watch received it (nanosecond resolution, later than the write by the watch
// delivery, usually milliseconds), unless the newest managedFields time is clearly older (the
// operator was down or disconnected), then that time (one-second resolution). received is when
// the object entered the cache.
func writtenTime(ws *WorkStatus, received time.Time) time.Time {
	var newest time.Time
	for _, mf := range ws.ManagedFields {
		if mf.Time != nil && mf.Time.After(newest) {
			newest = mf.Time.Time
		}
	}
	if !newest.IsZero() && received.Sub(newest) > receivedSkew {
		return newest
	}
	return received
}

// stampWorkStatus is the ITS cache's transform: it records when the WorkStatus was written and
// drops what the operator does not read (managedFields, labels, annotations), which is most of
// the metadata of the many WorkStatuses the cache holds.
func stampWorkStatus(now func() time.Time) func(any) (any, error) {
	return func(obj any) (any, error) {
		ws, ok := obj.(*WorkStatus)
		if !ok {
			return obj, nil
		}
		ws.written = writtenTime(ws, now())
		ws.ManagedFields, ws.Labels, ws.Annotations = nil, nil, nil
		return ws, nil
	}
}
