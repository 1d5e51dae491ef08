package reportedstate

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"

	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// The tests play the status agent of ocm-status-addon (the release KubeStellar v0.30's core chart
// installs, v0.2.0-rc17, pkg/agent): they write each WorkStatus as it does, so that the operator
// is tested on what it will really read.
//
//   - name <AppliedManifestWork UID>-<group><version>-<kind>-<namespace>-<name>, lower case, in
//     the namespace named after the WEC;
//   - labels: those of the ManifestWork that carried the object (KubeStellar's transport sets
//     transport.kubestellar.io/originWdsName and originOwnerReferenceBindingKey, the Binding's
//     name), and managed-by.kubestellar.io/singletonstatus when the object carries it;
//   - the ManifestWork as controlling owner;
//   - spec.sourceRef with all six fields (group and namespace empty for the core group and for
//     cluster-scoped objects, but present), statusDetails as the agent creates it (generation 0,
//     not applied, the Unix epoch);
//   - created without status, then the object's .status written through the status subresource
//     (an update of the whole WorkStatus), only when the object has one.

// Labels and values of KubeStellar's transport and of the agent.
const (
	labelOriginWDS     = "transport.kubestellar.io/originWdsName"
	labelOriginBinding = "transport.kubestellar.io/originOwnerReferenceBindingKey"
	epoch              = "1970-01-01T00:00:00Z"
)

// sourceRef is the WorkStatus spec.sourceRef of an object.
type sourceRef struct {
	gvr             schema.GroupVersionResource
	kind            string
	namespace, name string
}

func (r sourceRef) gvk() schema.GroupVersionKind { return r.gvr.GroupVersion().WithKind(r.kind) }

// spec is the sourceRef as the agent writes it: every field present.
func (r sourceRef) spec() map[string]any {
	return map[string]any{
		"group": r.gvr.Group, "version": r.gvr.Version, "resource": r.gvr.Resource, "kind": r.kind,
		"namespace": r.namespace, "name": r.name,
	}
}

// appliedManifestWorkUID stands for the UID of the AppliedManifestWork that applied the WDS's
// objects in a WEC: one per WEC and origin WDS, stable across a test.
func appliedManifestWorkUID(wec, origin string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(wec+"/"+origin)).String()
}

// workStatusName is the name the agent gives the WorkStatus of an object.
func workStatusName(wec, origin string, ref sourceRef) string {
	gv := strings.ToLower(strings.ReplaceAll(ref.gvr.GroupVersion().String(), "/", ""))
	name := appliedManifestWorkUID(wec, origin) + "-" + gv + "-" + strings.ToLower(ref.kind) + "-" + ref.namespace + "-" + ref.name
	return name[:min(len(name), 253)]
}

// reportStatus writes the WorkStatus of an object in a WEC, for the given origin WDS, as the
// agent does when the WEC object's status is status (nil: the object has no status, the
// WorkStatus none either).
func reportStatus(ctx context.Context, wec, origin string, ref sourceRef, status map[string]any) {
	GinkgoHelper()
	writeWorkStatus(ctx, wec, workStatusName(wec, origin, ref), origin, ref, ref.spec(), status)
}

// writeWorkStatus writes a WorkStatus as the agent does, with any name and sourceRef (for
// malformed ones): ref names the WDS object for the labels the agent copies.
func writeWorkStatus(ctx context.Context, wec, name, origin string, ref sourceRef, src, status map[string]any) {
	GinkgoHelper()
	ws := &unstructured.Unstructured{}
	ws.SetAPIVersion("control.kubestellar.io/v1alpha1")
	ws.SetKind("WorkStatus")
	ws.SetNamespace(wec)
	ws.SetName(name)
	err := itsClient.Get(ctx, client.ObjectKeyFromObject(ws), ws)
	if err != nil {
		Expect(client.IgnoreNotFound(err)).To(Succeed())
		binding := bindingOf(ctx, wec, ref)
		labels := map[string]string{labelOriginWDS: origin}
		if binding != "" {
			labels[labelOriginBinding] = binding
		}
		ws.SetLabels(labels)
		ws.SetOwnerReferences([]metav1.OwnerReference{{
			APIVersion: "work.open-cluster-management.io/v1", Kind: "ManifestWork",
			Name: binding + "-" + origin + "-0", UID: types.UID(uuid.NewSHA1(uuid.NameSpaceOID, []byte("manifestwork/"+wec+"/"+origin+"/"+binding)).String()),
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}})
		ws.Object["spec"] = map[string]any{"sourceRef": src}
		ws.Object["statusDetails"] = map[string]any{
			"lastGeneration": int64(0), "lastGenerationIsApplied": false, "lastCurrencyUpdateTime": epoch,
		}
		Expect(itsClient.Create(ctx, ws)).To(Succeed())
	}
	if singleton := singletonLabel(ctx, ref); singleton != "" && ws.GetLabels()[kubestellar.LabelSingletonStatus] != singleton {
		patch := []byte(`{"metadata":{"labels":{"` + kubestellar.LabelSingletonStatus + `":"` + singleton + `"}}}`)
		Expect(itsClient.Patch(ctx, ws, client.RawPatch("application/merge-patch+json", patch))).To(Succeed())
	}
	if status == nil {
		return
	}
	ws.Object["status"] = status
	Expect(itsClient.Status().Update(ctx, ws)).To(Succeed())
}

// bindingOf names a Binding of the WDS that sends the object to the WEC: the one whose
// ManifestWork the agent would find ("" when none does yet).
func bindingOf(ctx context.Context, wec string, ref sourceRef) string {
	GinkgoHelper()
	var list controlv1alpha1.BindingList
	Expect(wdsClient.List(ctx, &list)).To(Succeed())
	for i := range list.Items {
		b := &list.Items[i]
		if !slices.ContainsFunc(b.Spec.Destinations, func(d controlv1alpha1.Destination) bool { return d.ClusterId == wec }) {
			continue
		}
		for j := range b.Spec.Workload.NamespaceScope {
			o := &b.Spec.Workload.NamespaceScope[j]
			if o.Group == ref.gvr.Group && o.Resource == ref.gvr.Resource && o.Namespace == ref.namespace && o.Name == ref.name {
				return b.Name
			}
		}
		for _, o := range b.Spec.Workload.ClusterScope {
			if o.Group == ref.gvr.Group && o.Resource == ref.gvr.Resource && ref.namespace == "" && o.Name == ref.name {
				return b.Name
			}
		}
	}
	return ""
}

// singletonLabel is the WDS object's singleton-status label, which KubeStellar's transport
// carries to the WEC object and the agent copies onto the WorkStatus.
func singletonLabel(ctx context.Context, ref sourceRef) string {
	u, err := getObject(ctx, ref.gvk(), ref.namespace, ref.name)
	if err != nil {
		return ""
	}
	return u.GetLabels()[kubestellar.LabelSingletonStatus]
}
