package kubestellar

import (
	"bytes"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// maxStatusBytes is the largest WorkStatus status accepted by default (a WDS object's status is
// written in one request, and etcd keeps objects under 1.5 MiB).
const maxStatusBytes = 512 * 1024

// Reasons a WorkStatus is skipped.
var (
	errMissingSourceRef = errors.New("spec.sourceRef lacks version, resource or name")
	errStatusNotObject  = errors.New("status is not an object")
	errStatusTooLarge   = errors.New("status is too large")
	errUnknownResource  = errors.New("spec.sourceRef names a resource the WDS does not serve")
)

// validateWorkStatus says why a WorkStatus cannot be used, or nil. known tells whether the WDS
// serves a group/resource.
func validateWorkStatus(ws *WorkStatus, maxBytes int, known func(schema.GroupResource) bool) error {
	s := ws.Spec.SourceRef
	if s.Version == "" || s.Resource == "" || s.Name == "" {
		return errMissingSourceRef
	}
	if ws.Status != nil && len(ws.Status.Raw) > 0 {
		if err := validateStatusBytes(ws.Status.Raw, maxBytes); err != nil {
			return err
		}
	}
	if known != nil && !known(ws.ref().GroupResource()) {
		return errUnknownResource
	}
	return nil
}

// validateStatusBytes says why the bytes of a WorkStatus's status cannot be used, or nil: it
// must be a JSON object (or null) of at most maxBytes.
func validateStatusBytes(raw []byte, maxBytes int) error {
	raw = bytes.TrimSpace(raw)
	if !bytes.Equal(raw, []byte("null")) && (len(raw) == 0 || raw[0] != '{') {
		return errStatusNotObject
	}
	if len(raw) > maxBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", errStatusTooLarge, len(raw), maxBytes)
	}
	return nil
}
