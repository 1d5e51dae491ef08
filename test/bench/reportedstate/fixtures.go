package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The shape of the workload.
const (
	workloadNS = "bench"
	// limitNS holds as many Deployments again, which no Binding names: the trivial client
	// writes their status while the operator runs, to measure the physical limit beside each
	// step of the stream.
	limitNS = "limit"
	wdsName = "wds1"
	// labelOriginWDS is KubeStellar's label naming the WDS of a WorkStatus.
	labelOriginWDS = "transport.kubestellar.io/originWdsName"
	labelCount     = "kubestellar.io/executing-count"
	// opsNS holds the ReportedState and the ITS kubeconfig Secret.
	opsNS     = "ops"
	ksGroup   = "control.kubestellar.io"
	ksVersion = "v1alpha1"
)

// Field names of the objects the driver writes as maps.
const (
	fieldAPIVersion     = "apiVersion"
	fieldMetadata       = "metadata"
	fieldName           = "name"
	fieldKind           = "kind"
	fieldNamespace      = "namespace"
	fieldStatus         = "status"
	fieldCollision      = "collisionCount"
	conditionTime       = "2026-11-22T10:00:00Z"
	fieldSpec           = "spec"
	fieldLabels         = "labels"
	fieldConditions     = "conditions"
	fieldType           = "type"
	keyKubeconfig       = "kubeconfig"
	groupApps           = "apps"
	resourceDeployments = "deployments"
)

var (
	workStatusGVR = schema.GroupVersionResource{Group: ksGroup, Version: ksVersion, Resource: "workstatuses"}
	bindingGVR    = schema.GroupVersionResource{Group: ksGroup, Version: ksVersion, Resource: "bindings"}
	deploymentGVR = schema.GroupVersionResource{Group: groupApps, Version: "v1", Resource: resourceDeployments}
)

// workload names the objects and says how each is bound. Object i is a Deployment; even
// objects are multi-WEC (one Binding sends them to every WEC with wantMultiWECReportedState),
// odd ones singleton (sent to every WEC by a Binding without flags, and to one WEC, its
// "home", by a Binding with wantSingletonReportedState). Every object has a WorkStatus in
// every WEC. The multi-WEC summary of identical healthy reports is the first WEC's status, so
// a change of an object is a status change of its home WorkStatus: the singleton's WEC, or
// the first WEC for a multi-WEC object.
type workload struct {
	objects, wecs int
	// bindingSize is the number of objects per group of Bindings.
	bindingSize int
	// collector, if not empty, is the StatusCollector the downsync Bindings name.
	collector string
}

func (w workload) object(i int) string { return fmt.Sprintf("d-%05d", i) }
func (w workload) wec(k int) string    { return fmt.Sprintf("wec%02d", k) }
func (w workload) multi(i int) bool    { return i%2 == 0 }

// home is the WEC whose report is the object's status.
func (w workload) home(i int) int {
	if w.multi(i) {
		return 0
	}
	return (i / 2) % w.wecs
}

// other is a WEC whose report does not change the object's status: not qualified for a
// singleton object, not the first for a multi-WEC one.
func (w workload) other(i, n int) int {
	return (w.home(i) + 1 + n%(w.wecs-1)) % w.wecs
}

// expectedCount is the executing-count label the operator should write: the size of the
// qualified WEC set, only while singleton return is requested (docs/design.md, R3); none for
// the multi-WEC objects.
func (w workload) expectedCount(i int) string {
	if w.multi(i) {
		return ""
	}
	return "1"
}

func (w workload) workStatusName(i int) string {
	return "apps-deployments-" + workloadNS + "-" + w.object(i)
}

func (w workload) deployment(i int) *appsv1.Deployment {
	labels := map[string]string{"app": w.object(i)}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: workloadNS, Name: w.object(i), Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36"}}},
			},
		},
	}
}

// wecStatus is a healthy one-replica Deployment's status, as a WEC reports it; collisionCount
// carries the benchmark's sequence number (no summary rule or kstatus reads it). The sequence
// only grows: the API server refuses a Deployment status whose collisionCount decreases.
func wecStatus(seq int64) map[string]any {
	return map[string]any{
		"observedGeneration": int64(1), "replicas": int64(1), "updatedReplicas": int64(1),
		"readyReplicas": int64(1), "availableReplicas": int64(1), fieldCollision: seq,
		fieldConditions: []any{
			map[string]any{fieldType: "Available", fieldStatus: "True", "reason": "MinimumReplicasAvailable",
				"message":        "Deployment has minimum availability.",
				"lastUpdateTime": conditionTime, "lastTransitionTime": conditionTime},
			map[string]any{fieldType: "Progressing", fieldStatus: "True", "reason": "NewReplicaSetAvailable",
				"message":        "ReplicaSet has successfully progressed.",
				"lastUpdateTime": conditionTime, "lastTransitionTime": conditionTime},
		},
	}
}

func (w workload) workStatus(i, k int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		fieldAPIVersion: "control.kubestellar.io/v1alpha1", fieldKind: "WorkStatus",
		fieldMetadata: map[string]any{
			fieldNamespace: w.wec(k), fieldName: w.workStatusName(i),
			fieldLabels: map[string]any{labelOriginWDS: wdsName},
		},
		fieldSpec: map[string]any{"sourceRef": map[string]any{
			"group": groupApps, "version": "v1", "resource": "deployments", fieldKind: "Deployment",
			fieldNamespace: workloadNS, fieldName: w.object(i),
		}},
	}}
}

// bindings are, per group of bindingSize objects: one Binding without flags sending every
// object to every WEC, one asking multi-WEC reported state of the even objects from every WEC,
// and one per WEC asking singleton reported state of the odd objects at home there.
func (w workload) bindings() []*controlv1alpha1.Binding {
	var all []*controlv1alpha1.Binding
	every := make([]string, w.wecs)
	for k := range every {
		every[k] = w.wec(k)
	}
	for g := 0; g*w.bindingSize < w.objects; g++ {
		first, last := g*w.bindingSize, min((g+1)*w.bindingSize, w.objects)
		downsync := binding(fmt.Sprintf("downsync-%03d", g), every)
		multi := binding(fmt.Sprintf("multi-%03d", g), every)
		single := make([]*controlv1alpha1.Binding, w.wecs)
		for k := range single {
			single[k] = binding(fmt.Sprintf("single-%03d-%s", g, w.wec(k)), []string{w.wec(k)})
		}
		for i := first; i < last; i++ {
			framework.AddClause(downsync, framework.Clause{
				GVR: deploymentGVR, Namespace: workloadNS, Name: w.object(i), Collectors: nonEmpty(w.collector),
			})
			if w.multi(i) {
				addClause(multi, w.object(i), false, true)
			} else {
				addClause(single[w.home(i)], w.object(i), true, false)
			}
		}
		all = append(all, downsync, multi)
		for _, b := range single {
			if len(b.Spec.Workload.NamespaceScope) > 0 {
				all = append(all, b)
			}
		}
	}
	return all
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func binding(name string, wecs []string) *controlv1alpha1.Binding {
	b := &controlv1alpha1.Binding{ObjectMeta: metav1.ObjectMeta{Name: name}}
	framework.SetBinding(b, wecs)
	return b
}

func addClause(b *controlv1alpha1.Binding, name string, single, multi bool) {
	framework.AddClause(b, framework.Clause{
		GVR: deploymentGVR, Namespace: workloadNS, Name: name, Single: single, Multi: multi,
	})
}

// creation is how long creating one set of objects took.
type creation struct {
	what     string
	requests int64
	took     time.Duration
}

// create builds the workload: namespaces, Deployments and Bindings in the WDS, WorkStatus
// objects (create, then their status) in the ITS, with many concurrent clients on both.
func create(ctx context.Context, w workload, wds, its *server, concurrency int) ([]creation, error) {
	if err := createNamespaces(ctx, w, wds, its); err != nil {
		return nil, err
	}
	var (
		wg        sync.WaitGroup
		wdsResult creation
		itsResult creation
		wdsErr    error
		itsErr    error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		wdsResult, wdsErr = createWDS(ctx, w, wds, concurrency/4+1)
	}()
	go func() {
		defer wg.Done()
		itsResult, itsErr = createITS(ctx, w, its, concurrency)
	}()
	wg.Wait()
	if wdsErr != nil {
		return nil, wdsErr
	}
	return []creation{wdsResult, itsResult}, itsErr
}

func createNamespaces(ctx context.Context, w workload, wds, its *server) error {
	names := []string{workloadNS, limitNS, opsNS}
	for _, n := range names {
		if _, err := wds.cs.CoreV1().Namespaces().Create(ctx,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for k := range w.wecs {
		if _, err := its.cs.CoreV1().Namespaces().Create(ctx,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.wec(k)}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

func createWDS(ctx context.Context, w workload, wds *server, concurrency int) (creation, error) {
	start := time.Now()
	var n atomic.Int64
	err := parallel(ctx, 2*w.objects, concurrency, func(ctx context.Context, j int) error {
		n.Add(1)
		d := w.deployment(j % w.objects)
		if j >= w.objects {
			d.Namespace = limitNS
		}
		_, err := wds.cs.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return creation{}, err
	}
	bindings := w.bindings()
	err = parallel(ctx, len(bindings), concurrency, func(ctx context.Context, i int) error {
		n.Add(1)
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(bindings[i])
		if err != nil {
			return err
		}
		obj := &unstructured.Unstructured{Object: u}
		obj.SetAPIVersion("control.kubestellar.io/v1alpha1")
		obj.SetKind("Binding")
		_, err = wds.dyn.Resource(bindingGVR).Create(ctx, obj, metav1.CreateOptions{})
		return err
	})
	what := fmt.Sprintf("WDS: 2 x %d Deployments + %d Bindings", w.objects, len(bindings))
	return creation{what: what, requests: n.Load(), took: time.Since(start)}, err
}

func createITS(ctx context.Context, w workload, its *server, concurrency int) (creation, error) {
	start := time.Now()
	total := w.objects * w.wecs
	err := parallel(ctx, total, concurrency, func(ctx context.Context, j int) error {
		i, k := j/w.wecs, j%w.wecs
		ws := w.workStatus(i, k)
		res := its.dyn.Resource(workStatusGVR).Namespace(w.wec(k))
		if _, err := res.Create(ctx, ws, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		st := wecStatus(0)
		if w.multi(i) {
			// KubeStellar's multi-WEC summary leaves collisionCount out, and the API server
			// refuses a Deployment status that drops it once set.
			delete(st, fieldCollision)
		}
		return patchStatus(ctx, its, w.wec(k), w.workStatusName(i), map[string]any{fieldStatus: st})
	})
	what := fmt.Sprintf("ITS: %d WorkStatus (create + status)", total)
	return creation{what: what, requests: int64(2 * total), took: time.Since(start)}, err
}

// patchStatus merge-patches a WorkStatus's status subresource.
func patchStatus(ctx context.Context, its *server, wec, name string, patch map[string]any) error {
	raw, err := jsonMarshal(patch)
	if err != nil {
		return err
	}
	_, err = its.dyn.Resource(workStatusGVR).Namespace(wec).Patch(ctx, name, types.MergePatchType, raw,
		metav1.PatchOptions{}, "status")
	return err
}

// parallel runs f(i) for i in [0, n) on concurrency goroutines and returns the first error.
func parallel(ctx context.Context, n, concurrency int, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(ctx, i); err != nil {
					cancel(fmt.Errorf("item %d: %w", i, err))
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
