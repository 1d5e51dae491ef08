package summary

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Summarize turns the reports of the qualified WECs (any order) into the status for obj in the
// WDS, and each WEC's health sorted by WEC name. obj's apiVersion and kind choose the rule;
// its metadata.generation and spec are what kstatus reads. With no reports, Status is nil.
// A report whose status has fields of the wrong shape, or a WEC reported twice, is a
// *ReportError naming the WEC.
func Summarize(obj *unstructured.Unstructured, reports []Report) (Result, error) {
	if err := checkObject(obj); err != nil {
		return Result{}, err
	}
	s, err := newSet(obj, ruleFor(obj.GroupVersionKind().GroupKind()), reports)
	if err != nil {
		return Result{}, err
	}
	res := Result{WECs: s.health()}
	if len(s.wecs) > 0 {
		res.Status = s.summary()
	}
	return res, nil
}

// summary is the base WEC's status with the kind's fields, observedGeneration and
// conditions summarized.
func (s *set) summary() map[string]any {
	out := deepCopyMap(s.base().status)
	s.rule.setCounts(s, out)
	if s.rule.fields != nil {
		s.rule.fields(s, out)
	}
	s.setObservedGeneration(out)
	s.setConditions(out)
	return out
}

// checkObject: obj is there and its metadata.generation, when set, is an integer.
func checkObject(obj *unstructured.Unstructured) error {
	if obj == nil || obj.Object == nil {
		return errors.New("no object to summarize")
	}
	if _, _, err := unstructured.NestedInt64(obj.Object, "metadata", "generation"); err != nil {
		return fmt.Errorf("object %s: metadata.generation: %w", obj.GetName(), err)
	}
	return nil
}
