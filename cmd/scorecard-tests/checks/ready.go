package checks

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// StatefulSingletonReady checks the operator's first promise end to end: a StatefulSingleton
// over a one-replica Deployment reaches phase Running with Ready=True for the current
// generation, names its ready pod as the active pod, and `kubectl get` shows that pod and the
// phase in its columns. It needs a kubelet: run it on a cluster.
func StatefulSingletonReady(ctx context.Context, env Env, r *Result) {
	name := uniqueName("scorecard-ready")
	ss := statefulSingleton(env.Namespace, name, name)
	labels := map[string]string{LabelApp: name}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: env.Namespace, Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       podSpec(env.WorkloadImage),
			},
		},
	}
	// The StatefulSingleton first, so that the Deployment's pod is created gated.
	for _, obj := range []client.Object{ss, deploy} {
		if err := env.Client.Create(ctx, obj); err != nil {
			r.Errorf("creating %T %s/%s: %v", obj, env.Namespace, name, err)
			cleanup(ctx, env, r, deploy, ss, labels)
			return
		}
	}
	defer cleanup(ctx, env, r, deploy, ss, labels)
	r.Logf("created StatefulSingleton and Deployment %s/%s (image %s)", env.Namespace, name, env.WorkloadImage)

	var got singletonv1.StatefulSingleton
	ok, err := poll(ctx, env.Timeout, func(ctx context.Context) (bool, error) {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ss), &got); err != nil {
			return false, err
		}
		ready := meta.FindStatusCondition(got.Status.Conditions, singletonv1.ConditionReady)
		return got.Status.Phase == singletonv1.PhaseRunning && got.Status.ActivePod != "" &&
			ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == got.Generation, nil
	})
	if !ok {
		r.Failf("StatefulSingleton %s did not reach phase Running with Ready=True within %s: "+
			"phase %q, active pod %q, message %q, conditions %v (last error: %v)", name, env.Timeout,
			got.Status.Phase, got.Status.ActivePod, got.Status.Message, got.Status.Conditions, err)
		return
	}
	r.Logf("phase Running, active pod %s, Ready=True", got.Status.ActivePod)

	checkActivePodReady(ctx, env, r, name, got.Status.ActivePod)

	columns, err := tableRow(ctx, env.Config, ss)
	if err != nil {
		r.Errorf("reading StatefulSingleton %s as a table (kubectl get): %v", name, err)
		return
	}
	r.Logf("kubectl get columns: %v", columns)
	if columns["Active Pod"] != got.Status.ActivePod {
		r.Failf("column Active Pod shows %v, want %s", columns["Active Pod"], got.Status.ActivePod)
	}
	if columns["Phase"] != string(singletonv1.PhaseRunning) {
		r.Failf("column Phase shows %v, want %s", columns["Phase"], singletonv1.PhaseRunning)
	}
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// tableRow reads obj the way `kubectl get` does (server-side printing, the CRD's
// additionalPrinterColumns) and returns its row by column name.
func tableRow(ctx context.Context, cfg *rest.Config, ss *singletonv1.StatefulSingleton) (map[string]any, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	c, err := rest.RESTClientForConfigAndClient(tableConfig(cfg), httpClient)
	if err != nil {
		return nil, err
	}
	raw, err := c.Get().
		AbsPath("/apis", singletonv1.GroupVersion.Group, singletonv1.GroupVersion.Version,
			"namespaces", ss.Namespace, "statefulsingletons", ss.Name).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		return nil, err
	}
	if len(table.Rows) != 1 || len(table.Rows[0].Cells) != len(table.ColumnDefinitions) {
		return nil, fmt.Errorf("a table of %d rows and %d columns", len(table.Rows), len(table.ColumnDefinitions))
	}
	row := map[string]any{}
	for i, col := range table.ColumnDefinitions {
		row[col.Name] = table.Rows[0].Cells[i]
	}
	return row, nil
}

// tableConfig is cfg for a raw REST client (no group version or serializer needed: DoRaw).
func tableConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &singletonv1.GroupVersion
	c.APIPath = "/apis"
	c.NegotiatedSerializer = clientgoscheme.Codecs.WithoutConversion()
	return c
}

// cleanup deletes the Deployment, waits until its pods are gone (the operator removes its
// finalizer from each once it is confirmed stopped), then deletes the StatefulSingleton.
func cleanup(ctx context.Context, env Env, r *Result, deploy *appsv1.Deployment, ss *singletonv1.StatefulSingleton,
	labels map[string]string) {
	ctx = context.WithoutCancel(ctx)
	background := client.PropagationPolicy(metav1.DeletePropagationBackground)
	if err := client.IgnoreNotFound(env.Client.Delete(ctx, deploy, background)); err != nil {
		r.Logf("cleanup: deleting Deployment %s: %v", deploy.Name, err)
	}
	gone, err := poll(ctx, env.Timeout, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := env.Client.List(ctx, &pods, client.InNamespace(env.Namespace), client.MatchingLabels(labels)); err != nil {
			return false, err
		}
		return len(pods.Items) == 0, nil
	})
	if !gone {
		r.Logf("cleanup: pods of %s still there after %s (%v)", deploy.Name, env.Timeout, err)
	}
	if err := client.IgnoreNotFound(env.Client.Delete(ctx, ss)); err != nil {
		r.Logf("cleanup: deleting StatefulSingleton %s: %v", ss.Name, err)
	}
}

// checkActivePodReady checks that the active pod belongs to the check's Deployment and is Ready. The
// kubelet reports it Ready once it sees the readiness gate the operator set, a moment after the
// StatefulSingleton says so: it waits for that too.
func checkActivePodReady(ctx context.Context, env Env, r *Result, app, name string) {
	var pod corev1.Pod
	key := client.ObjectKey{Namespace: env.Namespace, Name: name}
	ok, err := poll(ctx, env.Timeout, func(ctx context.Context) (bool, error) {
		if err := env.Client.Get(ctx, key, &pod); err != nil {
			return false, err
		}
		return podReady(&pod), nil
	})
	if pod.Name != "" && pod.Labels[LabelApp] != app {
		r.Failf("the active pod %s is not a pod of the Deployment", pod.Name)
	}
	if !ok {
		r.Failf("the active pod %s is not Ready within %s (last error: %v)", name, env.Timeout, err)
	}
}
