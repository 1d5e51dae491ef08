package v1

import (
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

const testGateImage = "localhost/singleton-operator:test"

var testOpts = InjectOptions{Singleton: "db", GateImage: testGateImage}

// newPod returns a pod with the given containers and the label app=db.
func newPod(containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-0", Labels: map[string]string{"app": "db"}},
		Spec:       corev1.PodSpec{Containers: containers},
	}
}

func container(name string, command, args []string) corev1.Container {
	return corev1.Container{Name: name, Image: "app:1", Command: command, Args: args}
}

func initNames(pod *corev1.Pod) []string {
	names := make([]string, 0, len(pod.Spec.InitContainers))
	for i := range pod.Spec.InitContainers {
		names = append(names, pod.Spec.InitContainers[i].Name)
	}
	return names
}

// decodeArgv returns the argv the gate execs, and false when the command is not the gate's.
func decodeArgv(c *corev1.Container) ([]string, bool) {
	prefix := []string{BinGatePath, "exec", "--"}
	if len(c.Command) < len(prefix) || !slices.Equal(c.Command[:len(prefix)], prefix) || len(c.Args) != 0 {
		return nil, false
	}
	return c.Command[len(prefix):], true
}

func TestInjectCommands(t *testing.T) {
	tests := []struct {
		name      string
		container corev1.Container
		wantArgv  []string
		sidecar   bool
	}{
		{"command set", container("app", []string{"/bin/db", "--port=5432"}, nil),
			[]string{"/bin/db", "--port=5432"}, false},
		{"command and args", container("app", []string{"sh", "-c"}, []string{"exec db"}),
			[]string{"sh", "-c", "exec db"}, false},
		{"args with spaces, quotes and commas kept exactly",
			container("app", []string{"/stamp"}, []string{"a b", `"q"`, "it's", "x,y", "--flag=1", "--", "", "$(VAR)"}),
			[]string{"/stamp", "a b", `"q"`, "it's", "x,y", "--flag=1", "--", "", "$(VAR)"}, false},
		{"args only: held by the sidecar", container("app", nil, []string{"serve"}), nil, true},
		{"neither: held by the sidecar", container("app", nil, nil), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			pod := newPod(tt.container)
			g.Expect(Inject(pod, testOpts)).To(Succeed())
			app := &pod.Spec.Containers[0]
			if tt.sidecar {
				g.Expect(app.Command).To(Equal(tt.container.Command), "no command guessed for an ENTRYPOINT image")
				g.Expect(app.Args).To(Equal(tt.container.Args))
				g.Expect(initNames(pod)).To(Equal([]string{InstallContainer, "singleton-pull-app", SidecarContainer}))
				pull := pod.Spec.InitContainers[1]
				g.Expect(pull.Image).To(Equal("app:1"))
				g.Expect(pull.Command).To(Equal([]string{BinGatePath, "noop"}))
				side := pod.Spec.InitContainers[2]
				g.Expect(*side.RestartPolicy).To(Equal(corev1.ContainerRestartPolicyAlways))
				g.Expect(side.StartupProbe.Exec.Command).To(Equal([]string{GatePath, "await", "--max-wait=50m"}))
				return
			}
			argv, ok := decodeArgv(app)
			g.Expect(ok).To(BeTrue(), "the command is the gate's: %q", app.Command)
			g.Expect(argv).To(Equal(tt.wantArgv))
			g.Expect(app.VolumeMounts).To(ContainElements(
				corev1.VolumeMount{Name: BinVolume, MountPath: BinDir, ReadOnly: true},
				corev1.VolumeMount{Name: PodinfoVolume, MountPath: PodinfoDir, ReadOnly: true},
			))
			g.Expect(initNames(pod)).To(Equal([]string{InstallContainer}))
		})
	}
}

func TestInjectPodFields(t *testing.T) {
	g := NewWithT(t)
	pod := newPod(container("app", []string{"/bin/db"}, nil))
	g.Expect(Inject(pod, testOpts)).To(Succeed())

	g.Expect(pod.Labels).To(Equal(map[string]string{
		"app": "db", singletonv1.LabelManaged: "true", singletonv1.LabelInstance: "db",
	}))
	g.Expect(pod.Spec.ReadinessGates).To(ConsistOf(corev1.PodReadinessGate{ConditionType: singletonv1.ReadinessGate}))
	g.Expect(pod.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution).To(ConsistOf(
		corev1.WeightedPodAffinityTerm{Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{
			TopologyKey:   "kubernetes.io/hostname",
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{singletonv1.LabelInstance: "db"}},
		}}))
	g.Expect(pod.Spec.Volumes).To(HaveLen(2))
	g.Expect(pod.Spec.Volumes[1].DownwardAPI.Items[1].FieldRef.FieldPath).
		To(Equal("metadata.annotations['apps.statefulsingleton.com/release']"))

	install := pod.Spec.InitContainers[0]
	g.Expect(install.Image).To(Equal(testGateImage))
	g.Expect(install.Command).To(Equal([]string{"/gate", "install", "/singleton/bin"}))
	sc := install.SecurityContext
	g.Expect(*sc.AllowPrivilegeEscalation).To(BeFalse())
	g.Expect(sc.RunAsNonRoot).To(BeNil(), "the pod's own choice applies")
	g.Expect(*sc.ReadOnlyRootFilesystem).To(BeTrue())
	g.Expect(sc.RunAsUser).To(BeNil(), "the pod's or the SCC's UID applies")
	g.Expect(sc.Capabilities.Drop).To(Equal([]corev1.Capability{"ALL"}))
	g.Expect(sc.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	g.Expect(install.Resources.Limits.Memory().String()).To(Equal("32Mi"))
	g.Expect(install.Resources.Limits.Cpu().IsZero()).To(BeFalse(), "a quota on limits.cpu admits the pod")
}

// The gate's containers take the pod's identity: a pod that runs as root starts as before, and
// a pod that asks runAsNonRoot of each of its containers (as the restricted Pod Security
// Standard accepts) gets it on the gate's containers too.
func TestInjectRunAsNonRoot(t *testing.T) {
	nonRoot := &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}
	tests := []struct {
		name string
		pod  func() *corev1.Pod
		want *bool
	}{
		{"nothing set: left to the image", func() *corev1.Pod { return newPod(container("app", nil, nil)) }, nil},
		{"the pod runs as root", func() *corev1.Pod {
			p := newPod(container("app", []string{"/bin/db"}, nil))
			p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}
			return p
		}, nil},
		{"pod-level runAsNonRoot: inherited", func() *corev1.Pod {
			p := newPod(container("app", nil, nil))
			p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)}
			return p
		}, nil},
		{"every application container non-root: the gate's too", func() *corev1.Pod {
			c := container("app", nil, nil)
			c.SecurityContext = nonRoot
			return newPod(c)
		}, ptr.To(true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			pod := tt.pod()
			g.Expect(Inject(pod, testOpts)).To(Succeed())
			for _, c := range pod.Spec.InitContainers {
				if c.Name == InstallContainer || c.Name == SidecarContainer {
					g.Expect(c.SecurityContext.RunAsNonRoot).To(Equal(tt.want), c.Name)
				}
			}
		})
	}
}

// Guarded is what the spec holds, never what the labels say.
func TestHoldsGate(t *testing.T) {
	prepared := func(c corev1.Container) *corev1.Pod {
		p := newPod(c)
		if err := Inject(p, testOpts); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"wrapped command", prepared(container("app", []string{"/bin/db"}, nil)), true},
		{"held by the sidecar", prepared(container("app", nil, []string{"serve"})), true},
		{"a copied label, no gate", func() *corev1.Pod {
			p := newPod(container("app", []string{"/bin/db"}, nil))
			p.Labels[singletonv1.LabelManaged] = "true"
			return p
		}(), false},
		{"the installer but an unwrapped application", func() *corev1.Pod {
			p := prepared(container("app", []string{"/bin/db"}, nil))
			p.Spec.Containers = append(p.Spec.Containers, container("second", []string{"/bin/db"}, nil))
			return p
		}(), false},
		{"no release volume", func() *corev1.Pod {
			p := prepared(container("app", []string{"/bin/db"}, nil))
			p.Spec.Volumes = p.Spec.Volumes[:1]
			return p
		}(), false},
		{"a mesh proxy beside a wrapped application", func() *corev1.Pod {
			p := newPod(container("app", []string{"/bin/db"}, nil), container("istio-proxy", nil, nil))
			if err := Inject(p, testOpts); err != nil {
				t.Fatal(err)
			}
			return p
		}(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(HoldsGate(tt.pod)).To(Equal(tt.want))
		})
	}
}

func TestInjectPreservesExisting(t *testing.T) {
	g := NewWithT(t)
	pod := newPod(container("app", []string{"/bin/db"}, nil))
	pod.Spec.InitContainers = []corev1.Container{container("migrate", []string{"/bin/migrate"}, nil)}
	pod.Spec.Volumes = []corev1.Volume{{Name: "data"}}
	pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "other"}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	g.Expect(Inject(pod, testOpts)).To(Succeed())

	g.Expect(initNames(pod)).To(Equal([]string{InstallContainer, "migrate"}))
	g.Expect(pod.Spec.InitContainers[1].Command).To(Equal([]string{"/bin/migrate"}))
	g.Expect(pod.Spec.Volumes[0].Name).To(Equal("data"))
	g.Expect(pod.Spec.Containers[0].VolumeMounts[0].Name).To(Equal("data"))
	g.Expect(pod.Spec.ReadinessGates).To(HaveLen(2))
}

func TestInjectLeavesProxiesAlone(t *testing.T) {
	g := NewWithT(t)
	istio := container("istio-proxy", []string{"/usr/local/bin/pilot-agent"}, []string{"proxy"})
	linkerd := container("linkerd-proxy", nil, nil)
	custom := container("vault-agent", []string{"vault"}, []string{"agent"})
	pod := newPod(container("app", []string{"/bin/db"}, nil), istio, linkerd, custom)
	pod.Annotations = map[string]string{AnnotationUngatedContainers: "vault-agent, other"}
	g.Expect(Inject(pod, testOpts)).To(Succeed())

	g.Expect(pod.Spec.Containers[1]).To(Equal(istio))
	g.Expect(pod.Spec.Containers[2]).To(Equal(linkerd))
	g.Expect(pod.Spec.Containers[3]).To(Equal(custom))
	g.Expect(initNames(pod)).To(Equal([]string{InstallContainer}), "no sidecar for the command-less linkerd-proxy")
}

func TestInjectNothingToGate(t *testing.T) {
	g := NewWithT(t)
	pod := newPod(container("istio-proxy", nil, nil))
	before := pod.DeepCopy()
	g.Expect(Inject(pod, testOpts)).To(MatchError(ErrNothingToGate))
	g.Expect(pod).To(Equal(before), "unchanged on error")
}

func TestInjectIdempotent(t *testing.T) {
	for _, c := range []corev1.Container{
		container("app", []string{"/bin/db"}, []string{"a"}),
		container("app", nil, []string{"a"}),
	} {
		g := NewWithT(t)
		once := newPod(c)
		g.Expect(Inject(once, testOpts)).To(Succeed())
		twice := once.DeepCopy()
		g.Expect(Inject(twice, testOpts)).To(Succeed())
		g.Expect(twice).To(Equal(once))
	}
}

func TestInjectPreparedSpecWithoutLabels(t *testing.T) {
	g := NewWithT(t)
	prepared := newPod(container("app", []string{"/bin/db"}, nil))
	g.Expect(Inject(prepared, testOpts)).To(Succeed())

	copied := prepared.DeepCopy()
	copied.Labels = map[string]string{"app": "db"}
	g.Expect(Inject(copied, testOpts)).To(Succeed())
	g.Expect(copied).To(Equal(prepared), "labels back, the gate not doubled")
}
