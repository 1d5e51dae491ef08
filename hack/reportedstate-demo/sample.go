package main

import (
	"context"
	"fmt"
	"strings"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The sample's namespace in the WDS, the label its BindingPolicies select Deployments by, and
// its WECs.
const (
	sampleNamespace = "demo"
	appLabel        = "app"
	// clusterNameLabel names a WEC in its ManagedCluster's labels, as KubeStellar's examples do.
	clusterNameLabel = "name"
)

var wecs = []string{"wec1", "wec2", "wec3"}

// A workload of the sample: a Deployment, the WECs its BindingPolicy selects, the mode of
// reported state it asks, and what each WEC reports for it.
type sampleWorkload struct {
	name      string
	replicas  int32
	selector  map[string]string
	singleton bool
	reports   map[string]map[string]any
}

var sample = []sampleWorkload{
	{
		// Singleton: one WEC, whose status the WDS object shows as it is.
		name: "solo", replicas: 2, selector: map[string]string{clusterNameLabel: wecs[0]}, singleton: true,
		reports: map[string]map[string]any{wecs[0]: deploymentStatus(2, 2)},
	},
	{
		// Multi-WEC: three WECs, one of them still rolling out; the WDS object shows their summary.
		name: "fleet", replicas: 3, selector: map[string]string{"location-group": "demo"},
		reports: map[string]map[string]any{
			wecs[0]: deploymentStatus(3, 3), wecs[1]: deploymentStatus(3, 3), wecs[2]: deploymentStatus(3, 1),
		},
	},
}

// addSample registers the WECs in the ITS, creates the Deployments and their BindingPolicies
// in the WDS, waits for KubeStellar's binding controller to make the Bindings, and writes the
// WorkStatuses the WECs would report (as KubeStellar's status add-on writes them in the ITS).
func (s *spaces) addSample(ctx context.Context) error {
	for _, wec := range wecs {
		mc := &unstructured.Unstructured{}
		mc.SetAPIVersion("cluster.open-cluster-management.io/v1")
		mc.SetKind("ManagedCluster")
		mc.SetName(wec)
		mc.SetLabels(map[string]string{clusterNameLabel: wec, "location-group": "demo"})
		mc.Object["spec"] = map[string]any{"hubAcceptsClient": true}
		for _, o := range []client.Object{mc, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: wec}}} {
			if err := s.itsClient.Create(ctx, o); err != nil {
				return fmt.Errorf("creating %s in the ITS: %w", wec, err)
			}
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: sampleNamespace}}
	if err := s.wdsClient.Create(ctx, ns); err != nil {
		return err
	}
	for _, w := range sample {
		if err := s.wdsClient.Create(ctx, w.deployment()); err != nil {
			return fmt.Errorf("creating Deployment %s: %w", w.name, err)
		}
		if err := s.wdsClient.Create(ctx, w.policy()); err != nil {
			return fmt.Errorf("creating BindingPolicy %s: %w", w.name, err)
		}
	}
	for _, w := range sample {
		what := "KubeStellar's binding controller to make the Binding " + w.name
		err := poll(ctx, what, func(ctx context.Context) (bool, error) {
			b := &controlv1alpha1.Binding{}
			if err := s.wdsClient.Get(ctx, client.ObjectKey{Name: w.name}, b); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			return len(b.Spec.Destinations) == len(w.reports) && len(b.Spec.Workload.NamespaceScope) == 1, nil
		})
		if err != nil {
			return err
		}
		for wec, status := range w.reports {
			if err := s.report(ctx, wec, w.name, status); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w sampleWorkload) deployment() *appsv1.Deployment {
	labels := map[string]string{appLabel: w.name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: sampleNamespace, Name: w.name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(w.replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox"}}},
			},
		},
	}
}

func (w sampleWorkload) policy() *controlv1alpha1.BindingPolicy {
	return &controlv1alpha1.BindingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: w.name},
		Spec: controlv1alpha1.BindingPolicySpec{
			ClusterSelectors: []metav1.LabelSelector{{MatchLabels: w.selector}},
			Downsync: []controlv1alpha1.DownsyncPolicyClause{{
				DownsyncObjectTest: controlv1alpha1.DownsyncObjectTest{
					Namespaces:      []string{sampleNamespace},
					ObjectSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{appLabel: w.name}}},
				},
				DownsyncModulation: controlv1alpha1.DownsyncModulation{
					WantSingletonReportedState: w.singleton, WantMultiWECReportedState: !w.singleton,
				},
			}},
		},
	}
}

// report writes the WorkStatus of a Deployment of the sample in a WEC's namespace of the ITS.
func (s *spaces) report(ctx context.Context, wec, name string, status map[string]any) error {
	ws := &unstructured.Unstructured{}
	ws.SetAPIVersion("control.kubestellar.io/v1alpha1")
	ws.SetKind("WorkStatus")
	ws.SetNamespace(wec)
	ws.SetName(strings.Join([]string{"appsv1-deployment", sampleNamespace, name}, "-"))
	ws.SetLabels(map[string]string{"transport.kubestellar.io/originWdsName": wdsName})
	ws.Object["spec"] = map[string]any{"sourceRef": map[string]any{
		"group": "apps", "version": "v1", "resource": "deployments", "kind": "Deployment",
		"namespace": sampleNamespace, "name": name,
	}}
	if err := s.itsClient.Create(ctx, ws); err != nil {
		return fmt.Errorf("creating the WorkStatus of %s in %s: %w", name, wec, err)
	}
	ws.Object["status"] = status
	if err := s.itsClient.Status().Update(ctx, ws); err != nil {
		return fmt.Errorf("writing the WorkStatus of %s in %s: %w", name, wec, err)
	}
	return nil
}

// deploymentStatus is the status a WEC's Deployment controller writes for `replicas` replicas of
// which `available` are available.
func deploymentStatus(replicas, available int64) map[string]any {
	const at = "2026-01-01T00:00:00Z"
	cond := func(t, status, reason, msg string) map[string]any {
		return map[string]any{"type": t, "status": status, "reason": reason, "message": msg,
			"lastTransitionTime": at, "lastUpdateTime": at}
	}
	st := map[string]any{
		"observedGeneration": int64(1), "replicas": replicas, "updatedReplicas": replicas,
		"readyReplicas": available, "availableReplicas": available,
		"conditions": []any{
			cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
			cond("Progressing", "True", "NewReplicaSetAvailable", "ReplicaSet has successfully progressed."),
		},
	}
	if available < replicas {
		st["unavailableReplicas"] = replicas - available
		st["conditions"] = []any{
			cond("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
			cond("Progressing", "True", "ReplicaSetUpdated", "ReplicaSet is progressing."),
		}
	}
	return st
}
