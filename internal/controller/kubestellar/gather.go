package kubestellar

import (
	"context"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// gather reads from the caches what the decision about ref needs, once ensureWatch found its
// kind t and watches it. found is false when there is nothing to decide: the object does not
// exist, or no Binding asks for it and the operator owns nothing on it.
func (c *connection) gather(ctx context.Context, ref objectRef, t target) (g facts, found bool, err error) {
	g.Wants = t.wants
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(t.gvk)
	if err := c.wds.GetCache().Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, obj); err != nil {
		return g, false, client.IgnoreNotFound(err)
	}
	g.Object = obj
	g.AnnotationsBumpGeneration = annotationsBumpGeneration(t.gvk.GroupKind())
	g.Excepted = exceptedKind(ref.Group, ref.Resource)
	entries := fieldsEntries(obj)
	g.Owned = ownedOrAdopted(entries)
	g.SecondWriter = writtenAfterOperator(entries)
	if !g.Wants.Any() && !g.Owned.any() {
		return g, false, nil
	}
	if g.StatusSubresource, err = c.hasStatusSubresource(t.gvr); err != nil {
		return g, false, err
	}
	if g.Wants.Any() && !g.Excepted {
		g.Reports = c.reports(ref, g.Wants.Qualified)
	}
	return g, true, err
}

// reports reads the valid WorkStatuses of ref from the qualified WECs, sorted by WEC.
func (c *connection) reports(ref objectRef, qualified []string) []summary.Report {
	return c.reportsFrom(c.workStatusesBySource.lookup(ref.String()), qualified)
}

// reportsFrom are the reports of the valid WorkStatuses among items (one object's, as the
// cache keeps them: items is sorted here) from the qualified WECs, one per WEC, sorted by WEC.
func (c *connection) reportsFrom(items []*WorkStatus, qualified []string) []summary.Report {
	reports := make([]summary.Report, 0, len(items))
	slices.SortFunc(items, byName)
	for _, ws := range items {
		if _, ok := slices.BinarySearch(qualified, ws.Namespace); !ok {
			continue
		}
		if validateWorkStatus(ws, c.opts.MaxStatusBytes, nil) != nil {
			continue
		}
		status, ok := ws.statusMap()
		if !ok {
			continue
		}
		r := summary.Report{WEC: ws.Namespace, Status: status}
		if slices.ContainsFunc(reports, func(o summary.Report) bool { return o.WEC == r.WEC }) {
			continue // two WorkStatuses of one WEC for one object: the first by name counts
		}
		reports = append(reports, r)
	}
	slices.SortFunc(reports, func(a, b summary.Report) int { return strings.Compare(a.WEC, b.WEC) })
	return reports
}

// byName orders WorkStatuses by name, then namespace (WEC): of two WorkStatuses of one WEC
// for one object, the first by name counts.
func byName(a, b *WorkStatus) int {
	if n := strings.Compare(a.Name, b.Name); n != 0 {
		return n
	}
	return strings.Compare(a.Namespace, b.Namespace)
}

// any tells whether the operator owns anything on the object.
func (o owned) any() bool {
	return len(o.Labels) > 0 || len(o.Annotations) > 0 || len(o.Status) > 0 || len(o.MainStatus) > 0
}

// annotationsBumpGeneration tells whether the API server increments an object's generation when
// its annotations change: Deployments, for the rollback annotations of extensions/v1beta1.
func annotationsBumpGeneration(gk schema.GroupKind) bool {
	return gk == schema.GroupKind{Group: "apps", Kind: "Deployment"}
}

// exceptedKind tells whether KubeStellar never returns status into objects of a resource:
// Namespaces and CustomResourceDefinitions (its WEC2WDSExceptions): their status in the WDS is
// the WDS's own.
func exceptedKind(group, resource string) bool {
	return group == "" && resource == "namespaces" ||
		group == "apiextensions.k8s.io" && resource == "customresourcedefinitions"
}
