package kubestellar

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// FieldManager is the one field manager the operator writes WDS objects with.
const FieldManager = "singleton-operator-reportedstate"

// keyStatus is an object's status field, and the name of the status subresource.
const keyStatus = "status"

// Results of a write, the values of the status writes metric's result label.
const (
	writeApplied  = "applied"
	writeConflict = "conflict"
	writeNotFound = "notfound"
	writeError    = "error"
)

// applier sends a plan's merge patches to the WDS. Each patch carries the resourceVersion the
// decision was made from, so the API server refuses it (409 Conflict) when the object changed
// meanwhile, or was deleted and created again: a write never overwrites what the operator has
// not seen. A patch holds only what differs, which the API server takes faster than a
// server-side apply of the whole status (docs/benchmarks-reportedstate.md measures both).
//
// The requests are made by a plain REST client at the path of the resource the object was read
// at: a controller-runtime client would ask its REST mapper for that path again at each write,
// which costs more than the rest of the request on the operator's side.
type applier struct {
	client rest.Interface
}

// written is what a plan's writes did: the result of each request and the resourceVersions
// the successful ones produced, in order.
type written struct {
	results  []string
	versions []string
	// dropped tells that a write of the object carrying .status changed nothing: the API server
	// dropped the status, so the kind has a status subresource now.
	dropped bool
}

// conflict tells whether a request was refused because the object changed meanwhile.
func (w written) conflict() bool { return slices.Contains(w.results, writeConflict) }

// gone tells whether a request found nothing (404): the object is gone, or its kind lost its
// status subresource.
func (w written) gone() bool { return slices.Contains(w.results, writeNotFound) }

// apply sends the patches of p for obj (read from the cache at resource gvr, left untouched):
// the status subresource first, then the object, each based on the version the one before
// produced.
func (a applier) apply(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured, p plan,
) (written, error) {
	var w written
	version := obj.GetResourceVersion()
	for _, req := range []struct {
		patch  map[string]any
		status bool
	}{{p.StatusPatch, true}, {p.MainPatch, false}} {
		if req.patch == nil {
			continue
		}
		res, next, err := a.send(ctx, gvr, obj, version, req.patch, req.status)
		w.results = append(w.results, res)
		if err != nil || res != writeApplied {
			return w, err
		}
		if _, withStatus := req.patch[keyStatus]; withStatus && !req.status && next == version {
			w.dropped = true
		}
		version = next
		w.versions = append(w.versions, next)
	}
	return w, nil
}

// partialObjectMetadata asks the API server to answer a write with the object's metadata only:
// the operator reads nothing else of the answer, and a whole object costs both sides a
// serialization.
const partialObjectMetadata = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json"

// send sends one merge patch with version as its precondition and returns the version the
// write produced.
func (a applier) send(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured,
	version string, patch map[string]any, status bool,
) (string, string, error) {
	body := maps.Clone(patch)
	meta := map[string]any{"resourceVersion": version}
	if m, ok := patch["metadata"].(map[string]any); ok {
		maps.Copy(meta, m)
	}
	body["metadata"] = meta
	raw, err := json.Marshal(body)
	if err != nil {
		return writeError, "", err
	}
	sub := ""
	if status {
		sub = keyStatus
	}
	res := a.client.Patch(types.MergePatchType).
		AbsPath(resourcePath(gvr, obj.GetNamespace(), obj.GetName(), sub)...).
		SetHeader("Accept", partialObjectMetadata).
		Param("fieldManager", FieldManager).
		Body(raw).
		Do(ctx)
	// Error, not Raw's error: only Error reads the API server's Status (its reason and message).
	switch err := res.Error(); {
	case err == nil:
		answer, _ := res.Raw()
		var written struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(answer, &written); err != nil || written.Metadata.ResourceVersion == "" {
			return writeError, "", fmt.Errorf("the answer to a write of %s %s/%s names no resourceVersion: %w",
				gvr.Resource, obj.GetNamespace(), obj.GetName(), err)
		}
		return writeApplied, written.Metadata.ResourceVersion, nil
	case apierrors.IsConflict(err):
		// The object changed since the cache saw it: the watch brings the news.
		return writeConflict, "", nil
	case apierrors.IsNotFound(err):
		// The object was deleted, or its kind has no status subresource (any more).
		return writeNotFound, "", nil
	default:
		return writeError, "", err
	}
}
