package kubestellar

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
)

// refusedWrite records a write of ref that the WDS refused as invalid (a WEC status that breaks
// the WDS's validation, say from a WEC of another Kubernetes version): a warning event on the
// ReportedState once per object and reason, about the object (so that refusals of two objects
// are two events, not one series). The object keeps what it showed and is retried with
// backoff; a later status of the WEC that the WDS accepts ends it.
func (c *connection) refusedWrite(ref objectRef, obj runtime.Object, err error) {
	if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
		return
	}
	msg := err.Error()
	if !c.book.refuse(ref, msg) {
		return
	}
	c.log.Info("The WDS refused the reported state of an object", "object", ref.String(), "reason", msg)
	c.warnOf(obj, "StatusRefused", "Write", "The WDS refused the reported state of %s, which keeps what it showed: %s",
		ref.String(), msg)
}
