package apps

import (
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

func TestObservePod(t *testing.T) {
	now := metav1.NewTime(t0)
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
	terminated := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, FinishedAt: now}}
	crashLooping := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	aliveNode := map[string]nodeFacts{"n1": {Exists: true}}

	pod := func(mutate ...func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: "db-0", UID: "uid-1",
				Labels: map[string]string{singletonv1.LabelManaged: "true"},
			},
			Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app"}}},
			Status: corev1.PodStatus{
				Phase:             corev1.PodRunning,
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: running}},
			},
		}
		for _, m := range mutate {
			m(p)
		}
		return p
	}
	deleted := func(p *corev1.Pod) { p.DeletionTimestamp = &now }
	state := func(s corev1.ContainerState) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].State = s }
	}
	phase := func(ph corev1.PodPhase) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Status.Phase = ph } }

	tests := []struct {
		name        string
		pod         *corev1.Pod
		nodes       map[string]nodeFacts
		wantStopped string
	}{
		{"running", pod(), aliveNode, ""},
		{"crash-looping, not deleted: may start again", pod(state(crashLooping)), aliveNode, ""},
		{"container exited, not deleted: restarts", pod(state(terminated)), aliveNode, ""},
		{"deleted, container still running", pod(deleted), aliveNode, ""},
		{"deleted, every container terminated, phase still Running: that report may predate the deletion",
			pod(deleted, state(terminated)), aliveNode, ""},
		{"deleted, the kubelet's kill done: terminal phase", pod(deleted, state(terminated), phase(corev1.PodFailed)),
			aliveNode, "PodFinished"},
		{"deleted, crash-looping container never reported terminated", pod(deleted, state(crashLooping)), aliveNode, ""},
		{"evicted", pod(phase(corev1.PodFailed), state(terminated)), aliveNode, "PodFinished"},
		{"deleted before scheduling", pod(deleted, func(p *corev1.Pod) { p.Spec.NodeName = "" }), aliveNode, "NeverScheduled"},
		{"node deleted, pod not deleted: a node that registers again starts it again", pod(), map[string]nodeFacts{}, ""},
		{"node deleted, pod deleted", pod(deleted), map[string]nodeFacts{}, "NodeDeleted"},
		{"node out of service, pod not deleted", pod(), map[string]nodeFacts{"n1": {Exists: true, OutOfService: true}}, ""},
		{"deleted, its stop confirmed earlier by the operator, the fence lifted since", pod(deleted, func(p *corev1.Pod) {
			p.Annotations = map[string]string{singletonv1.AnnotationStopConfirmed: "uid-1"}
		}), aliveNode, "StopConfirmed"},
		{"a stop confirmation copied from another pod", pod(deleted, func(p *corev1.Pod) {
			p.Annotations = map[string]string{singletonv1.AnnotationStopConfirmed: "uid-0"}
		}), aliveNode, ""},
		{"node out of service", pod(deleted), map[string]nodeFacts{"n1": {Exists: true, OutOfService: true}}, "NodeOutOfService"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			f := observePod(tt.pod, tt.nodes)
			g.Expect(f.StopReason).To(Equal(tt.wantStopped))
			g.Expect(f.Stopped).To(Equal(tt.wantStopped != ""))
		})
	}
}

// Guarded is what the spec holds: a pod carrying the managed label without the gate may run
// at once, and counts as such.
func TestObservePodGuardedFromTheSpec(t *testing.T) {
	g := NewWithT(t)
	labeled := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "db-0", UID: "uid-1", Labels: map[string]string{
			singletonv1.LabelManaged: "true", singletonv1.LabelInstance: "db", "app": "db",
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "db", Command: []string{"/db"}}}},
	}
	f := observePod(labeled, nil)
	g.Expect(f.Guarded).To(BeFalse())
	g.Expect(f.mayRun()).To(BeTrue())

	prepared := labeled.DeepCopy()
	prepared.Labels = map[string]string{"app": "db"}
	g.Expect(podwebhook.Inject(prepared, podwebhook.InjectOptions{Singleton: "db", GateImage: "gate"})).To(Succeed())
	f = observePod(prepared, nil)
	g.Expect(f.Guarded).To(BeTrue())
	g.Expect(f.mayRun()).To(BeFalse())
}

func TestObservePodRelease(t *testing.T) {
	tests := []struct {
		name       string
		annotation string
		want       bool
	}{
		{"released for its own UID", "uid-1", true},
		{"a release copied from another pod, e.g. through a template", "uid-0", false},
		{"no release", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-0", UID: "uid-1"}}
			if tt.annotation != "" {
				p.Annotations = map[string]string{singletonv1.AnnotationRelease: tt.annotation}
			}
			NewWithT(t).Expect(observePod(p, nil).Released).To(Equal(tt.want))
		})
	}
}

func TestOwnerOf(t *testing.T) {
	owned := func(kind, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			Labels:          labels,
			OwnerReferences: []metav1.OwnerReference{{Kind: kind, Name: name, Controller: ptr.To(true)}},
		}}
	}
	hash := map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: "5d69f856c8"}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"a Deployment's ReplicaSet names the Deployment", owned("ReplicaSet", "db-5d69f856c8", hash), "Deployment/db"},
		{"a bare ReplicaSet names itself", owned("ReplicaSet", "db", nil), "ReplicaSet/db"},
		{"a StatefulSet", owned("StatefulSet", "db", nil), "StatefulSet/db"},
		{"no controller", &corev1.Pod{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(ownerOf(tt.pod)).To(Equal(tt.want))
		})
	}
}

func TestArmed(t *testing.T) {
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
	done := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}
	failed := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
	always := corev1.ContainerRestartPolicyAlways
	pod := func(sidecar bool, initState, mainState *corev1.ContainerState) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "install"}},
			Containers:     []corev1.Container{{Name: "app"}},
		}}
		if sidecar {
			p.Spec.InitContainers[0].RestartPolicy = &always
		}
		if initState != nil {
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "install", State: *initState}}
		}
		if mainState != nil {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: *mainState}}
		}
		return p
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"no status yet", pod(false, nil, nil), false},
		{"init container still running", pod(false, &running, &waiting), false},
		{"init container failed", pod(false, &failed, &waiting), false},
		{"the gate waits in the running main container", pod(false, &done, &running), true},
		{"main container not started yet", pod(false, &done, &waiting), false},
		{"gate sidecar runs, main container waits for its startup probe", pod(true, &running, &waiting), true},
		{"gate sidecar not running yet", pod(true, &waiting, &waiting), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(armed(tt.pod)).To(Equal(tt.want))
		})
	}
}
