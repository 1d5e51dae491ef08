package v1

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

var testSupervision = Supervision{Operator: "https://10.96.0.12:9444", ServerName: "op.ns.svc", CASHA256: "ab12"}

func TestInjectSupervision(t *testing.T) {
	g := NewWithT(t)
	pod := newPod(
		container("app", []string{"/bin/db", "--port=5432"}, []string{"a b"}),
		container("log", nil, []string{"serve"}),
		container("istio-proxy", []string{"/proxy"}, nil),
	)
	opts := testOpts
	opts.Supervision = &testSupervision
	g.Expect(Inject(pod, opts)).To(Succeed())

	app := &pod.Spec.Containers[0]
	g.Expect(app.Command).To(Equal([]string{BinGatePath, "exec", gatewire.FlagSupervise,
		gatewire.FlagContainer, "app", gatewire.FlagOperator, testSupervision.Operator,
		gatewire.FlagServerName, testSupervision.ServerName, gatewire.FlagCASHA256, testSupervision.CASHA256,
		"--", "/bin/db", "--port=5432", "a b"}), "the argv unchanged after --")
	g.Expect(app.Args).To(BeEmpty())
	g.Expect(app.VolumeMounts).To(ContainElements(
		corev1.VolumeMount{Name: TokenVolume, MountPath: gatewire.TokenDir, ReadOnly: true},
		corev1.VolumeMount{Name: StateVolume, MountPath: gatewire.StateDir},
	))
	g.Expect(pod.Spec.Containers[1].Command).To(BeEmpty(), "a container without a command keeps the sidecar")
	g.Expect(pod.Spec.Containers[1].VolumeMounts).To(BeEmpty())
	g.Expect(pod.Spec.Containers[2].Command).To(Equal([]string{"/proxy"}), "a mesh proxy is left alone")
	g.Expect(HoldsGate(pod)).To(BeTrue())
	_, supervised := SupervisedContainers(pod)
	g.Expect(supervised).To(BeFalse(), "a pod with a container in sidecar mode is not fully supervised")

	token := volume(pod, TokenVolume)
	g.Expect(token).NotTo(BeNil())
	g.Expect(token.Projected.Sources).To(Equal([]corev1.VolumeProjection{{
		ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
			Audience: gatewire.Audience, ExpirationSeconds: new(int64(3600)), Path: gatewire.TokenFile,
		},
	}}))
	state := volume(pod, StateVolume)
	g.Expect(state).NotTo(BeNil())
	g.Expect(state.EmptyDir.Medium).To(Equal(corev1.StorageMediumMemory))
	g.Expect(state.EmptyDir.SizeLimit).NotTo(BeNil())

	again := pod.DeepCopy()
	g.Expect(Inject(again, opts)).To(Succeed())
	g.Expect(again).To(Equal(pod), "Inject twice equals Inject once")

	sidecarOnly := newPod(container("app", nil, []string{"serve"}))
	g.Expect(Inject(sidecarOnly, opts)).To(Succeed())
	g.Expect(volume(sidecarOnly, TokenVolume)).To(BeNil(), "no token where no gate supervises")
	g.Expect(volume(sidecarOnly, StateVolume)).To(BeNil())
}

func volume(pod *corev1.Pod, name string) *corev1.Volume {
	i := slices.IndexFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == name })
	if i < 0 {
		return nil
	}
	return &pod.Spec.Volumes[i]
}

func TestDefaultFastHandOver(t *testing.T) {
	db := singleton("db", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}})
	disabled := db.DeepCopy()
	disabled.Spec.FastHandOver = singletonv1.FastHandOverDisabled
	found := func(context.Context) (Supervision, error) { return testSupervision, nil }
	unreachable := func(context.Context) (Supervision, error) {
		return Supervision{}, errors.New("the CA of the serving certificate is not known")
	}
	tests := []struct {
		name           string
		ss             singletonv1.StatefulSingleton
		supervision    func(context.Context) (Supervision, error)
		noCommand      bool
		wantSupervised bool
		wantAnnotation string
	}{
		{"enabled by default, the channel found", db, found, false, true, FastHandOverSupervised},
		{"a container without a command keeps the sidecar, which no gate supervises", db, found, true, false,
			"Off: a container without a command is held by the sidecar, which no gate supervises"},
		{"disabled by the StatefulSingleton", *disabled, found, false, false, "Off: spec.fastHandOver is Disabled"},
		{"the channel cannot be found: no supervision, and why", db, unreachable, false, false,
			"Off: the CA of the serving certificate is not known"},
		{"the operator runs without the channel", db, nil, false, false, "Off: the operator runs without the gate channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := &Defaulter{Reader: stubReader{items: []singletonv1.StatefulSingleton{tt.ss}}, GateImage: testGateImage,
				Supervision: tt.supervision}
			pod := newPod(container("app", []string{"/bin/db"}, nil))
			if tt.noCommand {
				pod = newPod(container("app", nil, []string{"--port=5432"}))
			}
			g.Expect(d.Default(context.Background(), pod)).To(Succeed())
			g.Expect(HoldsGate(pod)).To(BeTrue())
			_, supervised := SupervisedContainers(pod)
			g.Expect(supervised).To(Equal(tt.wantSupervised))
			g.Expect(pod.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationFastHandOver, tt.wantAnnotation))
		})
	}
}
