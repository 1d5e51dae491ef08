package reportedstate

import (
	"context"
	"encoding/json"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the one field manager the operator writes WDS objects with.
const FieldManager = "singleton-operator-reportedstate"

// Results of a write, the values of the status writes metric's result label.
const (
	writeApplied  = "applied"
	writeConflict = "conflict"
	writeError    = "error"
)

// keyName is the name field of metadata.
const keyName = "name"

// applier writes plans into WDS objects with server-side apply. Each apply names the object's
// UID, so that a write never creates an object that was deleted meanwhile.
type applier struct {
	client client.Client
}

// apply writes what p asks into obj (read from the cache, left untouched) and returns the
// result of each request.
func (a applier) apply(ctx context.Context, obj *unstructured.Unstructured, p plan, subresource bool,
) ([]string, error) {
	var results []string
	if p.WriteStatus {
		body := applyBody(obj, nil, nil, p.Status, true)
		res, err := a.send(ctx, obj, body, true)
		results = append(results, res)
		if err != nil {
			return results, err
		}
	}
	if p.WriteMain {
		body := applyBody(obj, p.Labels, p.Annotations, p.Status, !subresource)
		res, err := a.send(ctx, obj, body, false)
		results = append(results, res)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// applyBody is the applied configuration: identity, UID precondition, and what is owned.
func applyBody(obj *unstructured.Unstructured, labels, annotations map[string]string, status map[string]any,
	withStatus bool,
) map[string]any {
	meta := map[string]any{keyName: obj.GetName(), "uid": string(obj.GetUID())}
	if ns := obj.GetNamespace(); ns != "" {
		meta["namespace"] = ns
	}
	if len(labels) > 0 {
		meta["labels"] = labels
	}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
	body := map[string]any{"apiVersion": obj.GetAPIVersion(), "kind": obj.GetKind(), "metadata": meta}
	if withStatus && len(status) > 0 {
		body["status"] = status
	}
	return body
}

func (a applier) send(ctx context.Context, obj *unstructured.Unstructured, body map[string]any, status bool,
) (string, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return writeError, err
	}
	target := &unstructured.Unstructured{}
	target.SetGroupVersionKind(obj.GroupVersionKind())
	target.SetNamespace(obj.GetNamespace())
	target.SetName(obj.GetName())
	patch := client.RawPatch(types.ApplyPatchType, raw)
	if status {
		err = a.client.Status().Patch(ctx, target, patch, client.FieldOwner(FieldManager), client.ForceOwnership)
	} else {
		err = a.client.Patch(ctx, target, patch, client.FieldOwner(FieldManager), client.ForceOwnership)
	}
	switch {
	case err == nil:
		return writeApplied, nil
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		// The object was deleted, or replaced by one with another UID: its own events follow.
		return writeConflict, nil
	default:
		return writeError, err
	}
}
