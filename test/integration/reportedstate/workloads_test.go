package reportedstate

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// workload is one kind of the acceptance table: how to build an object, its resource and kind,
// a status a WEC reports for it, and the kubectl get columns that show that status.
type workload struct {
	gvr     schema.GroupVersionResource
	kind    string
	build   func(namespace, name string) client.Object
	status  map[string]any
	columns []string
}

func (w workload) gvk() schema.GroupVersionKind { return w.gvr.GroupVersion().WithKind(w.kind) }

func (w workload) ref(namespace, name string) sourceRef {
	return sourceRef{gvr: w.gvr, kind: w.kind, namespace: namespace, name: name}
}

var (
	deploymentsGVR  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	statefulsetsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
	daemonsetsGVR   = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}
	servicesGVR     = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	podsGVR         = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	configMapsGVR   = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	widgetsGVR      = schema.GroupVersionResource{Group: "test.io", Version: "v1", Resource: "widgets"}
)

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox"}}},
	}
}

func deployment(namespace, name string) client.Object {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
}

func statefulSet(namespace, name string) client.Object {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
}

func daemonSet(namespace, name string) client.Object {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
}

func service(namespace, name string) client.Object {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
}

func pod(namespace, name string) client.Object {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       podTemplate(name).Spec,
	}
}

func configMap(namespace, name string) client.Object {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: map[string]string{"k": "v"}}
}

// deploymentStatus is the status of a two-replica Deployment at a rollout stage: updated
// replicas updated, available of them available.
func deploymentStatus(updated, available int64) map[string]any {
	const want int64 = 2
	availableCond := map[string]any{
		"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
		"message":            "Deployment has minimum availability.",
		"lastTransitionTime": "2025-09-06T07:09:15Z", "lastUpdateTime": "2025-09-06T07:09:15Z",
	}
	progressing := map[string]any{
		"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
		"message":            `ReplicaSet "x-7b8c4c8d9f" has successfully progressed.`,
		"lastTransitionTime": "2025-09-06T07:09:00Z", "lastUpdateTime": "2025-09-06T07:09:15Z",
	}
	if available < want {
		availableCond["status"], availableCond["reason"] = "False", "MinimumReplicasUnavailable"
		availableCond["message"] = "Deployment does not have minimum availability."
	}
	if updated < want || available < want {
		progressing["reason"] = "ReplicaSetUpdated"
		progressing["message"] = `ReplicaSet "x-7b8c4c8d9f" is progressing.`
	}
	st := map[string]any{
		"observedGeneration": int64(1), "replicas": want, "updatedReplicas": updated,
		"readyReplicas": available, "availableReplicas": available,
		"conditions": []any{availableCond, progressing},
	}
	if available < want {
		st["unavailableReplicas"] = want - available
	}
	return st
}

var (
	deploymentWorkload = workload{
		gvr: deploymentsGVR, kind: "Deployment", build: deployment, status: deploymentStatus(2, 2),
		columns: []string{"READY", "UP-TO-DATE", "AVAILABLE"},
	}
	statefulSetWorkload = workload{
		gvr: statefulsetsGVR, kind: "StatefulSet", build: statefulSet,
		status: map[string]any{
			"observedGeneration": int64(1), "replicas": int64(2), "readyReplicas": int64(2),
			"currentReplicas": int64(2), "updatedReplicas": int64(2), "availableReplicas": int64(2),
			"currentRevision": "web-7c8d9f5b4a", "updateRevision": "web-7c8d9f5b4a", "collisionCount": int64(0),
		},
		columns: []string{"READY"},
	}
	daemonSetWorkload = workload{
		gvr: daemonsetsGVR, kind: "DaemonSet", build: daemonSet,
		status: map[string]any{
			"observedGeneration": int64(1), "currentNumberScheduled": int64(1), "desiredNumberScheduled": int64(1),
			"numberAvailable": int64(1), "numberReady": int64(1), "updatedNumberScheduled": int64(1),
			"numberMisscheduled": int64(0),
		},
		columns: []string{"DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE"},
	}
	serviceWorkload = workload{
		gvr: servicesGVR, kind: "Service", build: service,
		status: map[string]any{
			"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "192.0.2.10", "ipMode": "VIP"}}},
		},
		columns: []string{"TYPE", "EXTERNAL-IP"},
	}
	podWorkload = workload{
		gvr: podsGVR, kind: "Pod", build: pod,
		status: map[string]any{
			"phase": "Running", "qosClass": "BestEffort", "startTime": "2025-09-06T07:09:00Z",
			"conditions": []any{
				map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": "2025-09-06T07:09:05Z"},
				map[string]any{"type": "ContainersReady", "status": "True", "lastTransitionTime": "2025-09-06T07:09:05Z"},
				map[string]any{"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-09-06T07:09:00Z"},
			},
			"containerStatuses": []any{map[string]any{
				"name": "app", "ready": true, "started": true, "restartCount": int64(0),
				"image": "docker.io/library/busybox:latest", "imageID": "",
				"state": map[string]any{"running": map[string]any{"startedAt": "2025-09-06T07:09:04Z"}},
			}},
		},
		columns: []string{"READY", "STATUS", "RESTARTS"},
	}
)
