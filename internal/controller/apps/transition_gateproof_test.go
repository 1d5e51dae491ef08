package apps

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// supervisedCommand is the command the webhook gives a supervised container named name.
func supervisedCommand(name string) []string {
	return append([]string{podwebhook.BinGatePath, "exec", gatewire.FlagSupervise, gatewire.FlagContainer, name,
		gatewire.FlagOperator, "https://10.0.0.1:9443", gatewire.FlagServerName, "op.svc",
		gatewire.FlagCASHA256, "ab", "--"}, "/db")
}

// gatedPod is a prepared pod whose containers run behind a supervising gate, deleted, bound.
func gatedPod(containers ...string) *corev1.Pod {
	now := metav1.NewTime(t0)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "old", UID: "old-uid", DeletionTimestamp: &now},
		Spec: corev1.PodSpec{
			NodeName:       "node-1",
			InitContainers: []corev1.Container{{Name: podwebhook.InstallContainer}},
			Volumes: []corev1.Volume{{Name: podwebhook.PodinfoVolume, VolumeSource: corev1.VolumeSource{
				DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: make([]corev1.DownwardAPIVolumeFile, 2)},
			}}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, name := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: name, Command: supervisedCommand(name)})
	}
	return p
}

// The stop proof of docs/design.md, S6, and every way it must not count.
func TestObserveGateReportedExit(t *testing.T) {
	exited := func(l *gatechannel.Ledger, containers ...string) {
		for i, c := range containers {
			l.Exited("old-uid", c, 1, 0, t0.Add(time.Duration(i)*time.Second))
		}
	}
	tests := []struct {
		name   string
		pod    func() *corev1.Pod
		ledger func(*gatechannel.Ledger)
		want   string
	}{
		{"deleting, every container reported", func() *corev1.Pod { return gatedPod("app", "log") },
			func(l *gatechannel.Ledger) { exited(l, "app", "log") }, StopReasonGateReportedExit},
		{"not deleting: the container may be restarted", func() *corev1.Pod {
			p := gatedPod("app")
			p.DeletionTimestamp = nil
			return p
		}, func(l *gatechannel.Ledger) { exited(l, "app") }, ""},
		{"a container did not report", func() *corev1.Pod { return gatedPod("app", "log") },
			func(l *gatechannel.Ledger) { exited(l, "app") }, ""},
		{"no report at all, a session only", func() *corev1.Pod { return gatedPod("app") },
			func(l *gatechannel.Ledger) { l.Opened("old-uid", "app", 1) }, ""},
		{"a later start registered after the exit", func() *corev1.Pod { return gatedPod("app") },
			func(l *gatechannel.Ledger) { exited(l, "app"); l.Opened("old-uid", "app", 2) }, ""},
		{"the later start's exit reported too", func() *corev1.Pod { return gatedPod("app") },
			func(l *gatechannel.Ledger) {
				exited(l, "app")
				l.Started("old-uid", "app", 2, false)
				l.Exited("old-uid", "app", 2, 0, t0)
			}, StopReasonGateReportedExit},
		{"reports of another pod (same name, another UID)", func() *corev1.Pod { return gatedPod("app") },
			func(l *gatechannel.Ledger) { l.Exited("other-uid", "app", 1, 0, t0) }, ""},
		{"an unsupervised application container beside a supervised one", func() *corev1.Pod {
			p := gatedPod("app")
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{
				Name: "log", Command: podwebhook.GateArgv([]string{"/log"}),
			})
			return p
		}, func(l *gatechannel.Ledger) { exited(l, "app", "log") }, ""},
		{"sidecar mode: a container without a command waits for the gate's sidecar", func() *corev1.Pod {
			p := gatedPod("app")
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "log"})
			p.Spec.InitContainers = append(p.Spec.InitContainers, sidecarOf(p))
			return p
		}, func(l *gatechannel.Ledger) { exited(l, "app", "log") }, ""},
		{"a gate reporting for another container's name", func() *corev1.Pod {
			p := gatedPod("app")
			p.Spec.Containers[0].Command = supervisedCommand("other")
			return p
		}, func(l *gatechannel.Ledger) { exited(l, "app", "other") }, ""},
		{"the ungated mesh proxy needs no report", func() *corev1.Pod {
			p := gatedPod("app")
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "istio-proxy"})
			return p
		}, func(l *gatechannel.Ledger) { exited(l, "app") }, StopReasonGateReportedExit},
		{"a terminal phase is the kubelet's proof first", func() *corev1.Pod {
			p := gatedPod("app")
			p.Status.Phase = corev1.PodSucceeded
			return p
		}, func(l *gatechannel.Ledger) { exited(l, "app") }, "PodFinished"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			l := gatechannel.NewLedger()
			tt.ledger(l)
			pod := tt.pod()
			in := observe(observation{
				SS: singleton(), Recorded: []corev1.Pod{*pod},
				Nodes:      map[string]nodeFacts{"node-1": {Exists: true}},
				GateLedger: l.Snapshot(pod.UID),
			})
			g.Expect(in.Pods).To(HaveLen(1))
			f := in.Pods[0]
			g.Expect(f.StopReason).To(Equal(tt.want))
			g.Expect(f.Stopped).To(Equal(tt.want != ""))
			if tt.want == StopReasonGateReportedExit {
				g.Expect(f.GateProofVersion).To(Equal(l.Snapshot().Version))
				var last time.Time
				for _, c := range l.Snapshot(pod.UID).Pods[pod.UID].Containers {
					last = maxTime(last, c.ExitedAt)
				}
				g.Expect(f.StoppedAt).To(Equal(last), "the last exit reported")
			} else {
				g.Expect(f.GateProofVersion).To(BeZero())
			}
		})
	}
}

// sidecarOf is the gate's native sidecar as Inject writes it, taken from a pod Inject prepared.
func sidecarOf(p *corev1.Pod) corev1.Container {
	prepared := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "x"}}}}
	if err := podwebhook.Inject(prepared, podwebhook.InjectOptions{Singleton: "db", GateImage: "gate"}); err != nil {
		panic(err)
	}
	for i := range prepared.Spec.InitContainers {
		if c := &prepared.Spec.InitContainers[i]; c.Name == podwebhook.SidecarContainer {
			return *c
		}
	}
	panic("no sidecar in " + p.Name)
}

// A release resting on a gate proof carries that proof, at its snapshot's version, to be consumed
// before anything is written; the proof also closes the old pod's stop in the transition record.
func TestDecideTransitionConsumesGateProofs(t *testing.T) {
	g := NewWithT(t)
	now := t0.Add(time.Hour)
	exitAt := now.Add(-20 * time.Millisecond)
	gateStopped := func(p *podFacts) {
		p.Stopped, p.StopReason, p.StoppedAt, p.GateProofVersion = true, StopReasonGateReportedExit, exitAt, 7
	}
	plan := decide(singleton(activePod("old"), transitionOldToNew(t0)), []podFacts{
		fact("old", 0, released, deleting, gateStopped), fact("new", 10),
	}, now)
	g.Expect(plan.Consume).To(Equal([]gateProof{{podRef: ref("old"), Version: 7}}))
	g.Expect(plan.Release).To(Equal(&releaseRequest{podRef: ref("new")}))
	g.Expect(plan.RemoveFinalizer).To(Equal([]podRef{ref("old")}))
	g.Expect(plan.Status.CurrentTransition.FromStoppedTime.Time).To(Equal(exitAt))
	g.Expect(plan.Status.CurrentTransition.HandoverGap.Duration).To(Equal(20 * time.Millisecond))

	plan = decide(singleton(activePod("old"), transitionOldToNew(t0)), []podFacts{
		fact("old", 0, released, deleting, stopped("PodFinished", exitAt)), fact("new", 10),
	}, now)
	g.Expect(plan.Consume).To(BeEmpty(), "the kubelet's proof needs no consumption")
	g.Expect(plan.Release).NotTo(BeNil())

	plan = decide(singleton(activePod("old"), transitionOldToNew(t0)), []podFacts{
		fact("old", 0, released, deleting), fact("new", 10),
	}, now)
	g.Expect(plan.Consume).To(BeEmpty())
	g.Expect(plan.Release).To(BeNil(), "no proof, no release")
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
