package summary

import (
	"math/rand/v2"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// `kubectl rollout status` on the WDS object finishes only when it would finish on every WEC.
// rolloutDone follows kubectl's status viewers (k8s.io/kubectl/pkg/polymorphichelpers,
// rollout_status.go) for the three kinds it serves; ok is false where kubectl has no answer.
func TestRolloutStatusFinishesOnlyWhenEveryWECHas(t *testing.T) {
	seed := propertySeed()
	for _, g := range generators[:3] { // Deployment, StatefulSet, DaemonSet
		t.Run(g.name, func(t *testing.T) {
			rng := &gen{Rand: rand.New(rand.NewPCG(seed, 99))}
			finished := 0
			for i := range casesPerKind() {
				obj, reports := g.gen(rng)
				apiServerDefaults(obj)
				if !realistic(reports) {
					continue
				}
				res, err := Summarize(obj, reports)
				if err != nil {
					t.Fatal(err)
				}
				done, ok := rolloutDone(t, obj, res.Status)
				if !ok || !done {
					continue
				}
				finished++
				for _, r := range reports {
					if wecDone, _ := rolloutDone(t, obj, r.Status); !wecDone {
						t.Fatalf("seed %d, case %d: rollout finished on the summary, not on WEC %s\nobject: %v\nsummary: %v\nreports: %v",
							seed, i, r.WEC, obj.Object, res.Status, reports)
					}
				}
			}
			t.Logf("seed %d: rollout finished on %d summaries", seed, finished)
		})
	}
}

// apiServerDefaults sets what the API server defaults in a workload's spec, as kubectl sees it.
func apiServerDefaults(obj *unstructured.Unstructured) {
	if obj.GetKind() == "DaemonSet" {
		spec(obj)["updateStrategy"] = map[string]any{"type": "RollingUpdate"}
		return
	}
	if _, ok := spec(obj)["replicas"]; !ok {
		spec(obj)["replicas"] = int64(1)
	}
}

// realistic: kubectl compares status fields with each other (a Deployment's replicas with
// its updatedReplicas, updatedReplicas with availableReplicas); least-over-WECs keeps those
// comparisons only for statuses a controller can write, where a Deployment's updated and
// available pods are among its pods.
func realistic(reports []Report) bool {
	for _, r := range reports {
		replicas, _ := count(r.Status, "replicas")
		updated, _ := count(r.Status, updatedReplicas)
		available, _ := count(r.Status, availableReplicas)
		if updated > replicas || available > replicas {
			return false
		}
	}
	return true
}

func rolloutDone(t *testing.T, obj *unstructured.Unstructured, status map[string]any) (done, ok bool) {
	t.Helper()
	u := obj.DeepCopy()
	if status != nil {
		u.Object["status"] = deepCopyMap(status)
	}
	switch obj.GetKind() {
	case "Deployment":
		d := &appsv1.Deployment{}
		convert(t, u, d)
		return deploymentRolledOut(d), true
	case "DaemonSet":
		ds := &appsv1.DaemonSet{}
		convert(t, u, ds)
		return ds.Generation <= ds.Status.ObservedGeneration &&
			ds.Status.UpdatedNumberScheduled >= ds.Status.DesiredNumberScheduled &&
			ds.Status.NumberAvailable >= ds.Status.DesiredNumberScheduled, true
	case "StatefulSet":
		sts := &appsv1.StatefulSet{}
		convert(t, u, sts)
		if sts.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
			return false, false
		}
		return statefulSetRolledOut(sts), true
	}
	return false, false
}

func convert(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatal(err)
	}
}

func deploymentRolledOut(d *appsv1.Deployment) bool {
	if d.Generation > d.Status.ObservedGeneration {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			if c.Reason == "ProgressDeadlineExceeded" {
				return false
			}
			break
		}
	}
	if d.Spec.Replicas != nil && d.Status.UpdatedReplicas < *d.Spec.Replicas {
		return false
	}
	return d.Status.Replicas <= d.Status.UpdatedReplicas && d.Status.AvailableReplicas >= d.Status.UpdatedReplicas
}

func statefulSetRolledOut(sts *appsv1.StatefulSet) bool {
	if sts.Status.ObservedGeneration == 0 || sts.Generation > sts.Status.ObservedGeneration {
		return false
	}
	if sts.Spec.Replicas != nil && sts.Status.ReadyReplicas < *sts.Spec.Replicas {
		return false
	}
	if ru := sts.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if sts.Spec.Replicas != nil && ru.Partition != nil {
			return sts.Status.UpdatedReplicas >= *sts.Spec.Replicas-*ru.Partition
		}
		return true
	}
	return sts.Status.UpdateRevision == sts.Status.CurrentRevision
}
