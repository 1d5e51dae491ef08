package v1

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// superviseFlags are the flags the webhook gives a supervised container's gate.
func superviseFlags(name string) []string {
	return []string{gatewire.FlagSupervise, gatewire.FlagContainer, name, gatewire.FlagOperator, "https://10.0.0.1:9443",
		gatewire.FlagServerName, "op.ns.svc", gatewire.FlagCASHA256, "ab"}
}

// supervise rewrites a wrapped container's command as the supervising gate's.
func supervise(c *corev1.Container, flags []string) {
	argv := c.Command[3:]
	c.Command = append(append([]string{BinGatePath, "exec"}, flags...), append([]string{"--"}, argv...)...)
}

func TestSupervisedContainers(t *testing.T) {
	prepared := func(containers ...corev1.Container) *corev1.Pod {
		p := newPod(containers...)
		if err := Inject(p, testOpts); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := func(p *corev1.Pod) *corev1.Pod {
		for i := range p.Spec.Containers {
			if c := &p.Spec.Containers[i]; wrapped(c) {
				supervise(c, superviseFlags(c.Name))
			}
		}
		return p
	}
	tests := []struct {
		name      string
		pod       *corev1.Pod
		want      []string
		wantHolds bool
	}{
		{"every application container supervised",
			all(prepared(container("app", []string{"/db"}, nil), container("log", []string{"/log"}, nil))),
			[]string{"app", "log"}, true},
		{"a mesh proxy is not the application",
			all(prepared(container("app", []string{"/db"}, nil), container("istio-proxy", nil, nil))),
			[]string{"app"}, true},
		{"wrapped without supervision", prepared(container("app", []string{"/db"}, nil)), nil, true},
		{"one supervised, one not", func() *corev1.Pod {
			p := prepared(container("app", []string{"/db"}, nil), container("log", []string{"/log"}, nil))
			supervise(&p.Spec.Containers[0], superviseFlags("app"))
			return p
		}(), nil, true},
		{"sidecar mode beside a supervised container",
			all(prepared(container("app", []string{"/db"}, nil), container("log", nil, []string{"serve"}))), nil, true},
		{"the gate told another container's name", func() *corev1.Pod {
			p := prepared(container("app", []string{"/db"}, nil))
			supervise(&p.Spec.Containers[0], superviseFlags("other"))
			return p
		}(), nil, true},
		{"an unknown word before --: not the gate's exec", func() *corev1.Pod {
			p := prepared(container("app", []string{"/db"}, nil))
			supervise(&p.Spec.Containers[0], append(superviseFlags("app"), "--verbose"))
			return p
		}(), nil, false},
		{"a flag without its value", func() *corev1.Pod {
			p := prepared(container("app", []string{"/db"}, nil))
			p.Spec.Containers[0].Command = []string{BinGatePath, "exec", gatewire.FlagSupervise, gatewire.FlagContainer}
			return p
		}(), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			names, ok := SupervisedContainers(tt.pod)
			g.Expect(names).To(Equal(tt.want))
			g.Expect(ok).To(Equal(tt.want != nil))
			g.Expect(HoldsGate(tt.pod)).To(Equal(tt.wantHolds))
		})
	}
}
