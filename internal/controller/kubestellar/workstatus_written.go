package kubestellar

import (
	"bytes"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// receivedSkew is how far the status write (managedFields, one-second resolution) may lie before
// the moment the operator received a WorkStatus and still count as the same change.
const receivedSkew = 2 * time.Second

// writtenTime is the best time the API gives for the write of a WorkStatus's status: the moment
// the operator's watch received it (nanosecond resolution, later than the write by the watch
// delivery, usually milliseconds), unless the newest managedFields time of a write of .status is
// clearly older (the operator was down or disconnected), then that time (one-second resolution).
// Only entries holding .status count: the addon's agent also patches the WorkStatus's labels
// (managed-by.kubestellar.io/singletonstatus, copied from the WEC object) after writing its
// status, and that is no status change. received is when the object entered the cache.
func writtenTime(ws *WorkStatus, received time.Time) time.Time {
	var newest time.Time
	for _, mf := range ws.ManagedFields {
		if mf.Time != nil && mf.Time.After(newest) && holdsStatus(mf) {
			newest = mf.Time.Time
		}
	}
	if !newest.IsZero() && received.Sub(newest) > receivedSkew {
		return newest
	}
	return received
}

// stampWorkStatus is the ITS cache's transform: it records when the WorkStatus was written,
// drops what the operator does not read (managedFields, labels, annotations), which is most of
// the metadata of the many WorkStatuses the cache holds, and holds its status for it to be
// decoded once, by its first reader (holdStatus; maxBytes is validateWorkStatus's).
func stampWorkStatus(now func() time.Time, maxBytes int) func(any) (any, error) {
	return func(obj any) (any, error) {
		ws, ok := obj.(*WorkStatus)
		if !ok {
			return obj, nil
		}
		ws.written = writtenTime(ws, now())
		ws.ManagedFields, ws.Labels, ws.Annotations = nil, nil, nil
		ws.holdStatus(maxBytes)
		return ws, nil
	}
}

// holdsStatus tells whether a managedFields entry owns fields of .status (not statusDetails).
func holdsStatus(mf metav1.ManagedFieldsEntry) bool {
	return mf.FieldsV1 != nil && fieldsHoldStatus(mf.FieldsV1.GetRawBytes())
}

// fieldsHoldStatus tells whether a managedFields entry's fieldsV1, as its JSON, owns fields of
// .status.
func fieldsHoldStatus(fieldsV1 []byte) bool {
	return bytes.Contains(fieldsV1, []byte(`"f:status":`))
}
