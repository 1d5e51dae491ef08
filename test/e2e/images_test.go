//go:build e2e

package e2e

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// pauseImage has no shell and only an ENTRYPOINT (/pause); hack/cluster.sh imports it.
const pauseImage = "localhost/pause:1.0"

// echoArgs prints each of its arguments on a line of its own, between < and >, then sleeps.
const echoArgs = `for a in "$@"; do echo "<$a>"; done; exec sleep 3600`

// awkwardArgs are arguments the existing operator mangles (docs/design.md, predecessor defect 7).
var awkwardArgs = []string{"argv0", "with space", `"double" and 'single' quotes`, "a,b,c", "", `back\slash $HOME`}

var _ = Describe("Any image starts as it would without the operator (S4, docs/design.md predecessor defect 7)", func() {
	It("runs an image with no shell and only an ENTRYPOINT, with and without a command", func(ctx SpecContext) {
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "nosh")
		entrypointOnly := restrictedContainer("entrypoint-only")
		entrypointOnly.Image = pauseImage
		withCommand := restrictedContainer("with-command", "/pause")
		withCommand.Image = pauseImage
		d := deployment(ns, "nosh", entrypointOnly)
		d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, withCommand)
		Expect(k8s.Create(ctx, d)).To(Succeed())

		pod := waitForOnlyPodReady(ctx, ns, "nosh", "")
		Expect(pod.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))
		Expect(pod.Spec.Containers[0].Command).To(BeEmpty(), "held by the native sidecar, its image's ENTRYPOINT kept")
		Expect(pod.Spec.Containers[1].Command[:3]).To(Equal([]string{podwebhook.BinGatePath, "exec", gatewire.FlagSupervise}),
			"the fast hand-over is on by default")
		Expect(pod.Status.ContainerStatuses).To(HaveEach(HaveField("State.Running", Not(BeNil()))))
	})

	It("passes arguments with spaces, quotes, commas and empty strings through unchanged", func(ctx SpecContext) {
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "args")
		containers := func() []corev1.Container {
			wrapped := restrictedContainer("wrapped", append([]string{"sh", "-c", echoArgs}, awkwardArgs...)...)
			// busybox has no ENTRYPOINT: args alone are the whole argv, as an image's CMD would be.
			argsOnly := restrictedContainer("args-only")
			argsOnly.Args = append([]string{"sh", "-c", echoArgs}, awkwardArgs...)
			return []corev1.Container{wrapped, argsOnly}
		}
		for _, app := range []string{"args", "plain"} {
			d := deployment(ns, app, corev1.Container{})
			d.Spec.Template.Spec.Containers = containers()
			Expect(k8s.Create(ctx, d)).To(Succeed())
		}

		prepared := waitForOnlyPodReady(ctx, ns, "args", "")
		plain := waitForOnlyPodReady(ctx, ns, "plain", "")
		Expect(prepared.Labels).To(HaveKey(singletonv1.LabelManaged))
		Expect(plain.Labels).NotTo(HaveKey(singletonv1.LabelManaged), "no StatefulSingleton selects app=plain")
		want := ""
		for _, a := range awkwardArgs[1:] {
			want += "<" + a + ">\n"
		}
		for _, container := range []string{"wrapped", "args-only"} {
			Eventually(podLogs).WithContext(ctx).WithArguments(plain, container).Should(Equal(want),
				"without the operator, %s prints its arguments", container)
			Eventually(appLogs).WithContext(ctx).WithArguments(prepared, container).Should(Equal(want),
				"with the operator, %s prints the same", container)
		}
	})
})

// appLogs is podLogs without the lines of the supervising gate, which writes what becomes of
// its channel to the operator (lines beginning "gate: ") to the container's stderr.
func appLogs(ctx context.Context, pod corev1.Pod, container string) (string, error) {
	logs, err := podLogs(ctx, pod, container)
	var out strings.Builder
	for line := range strings.SplitAfterSeq(logs, "\n") {
		if !strings.HasPrefix(line, "gate: ") {
			out.WriteString(line)
		}
	}
	return out.String(), err
}

// podLogs returns what a container of a pod has written so far.
func podLogs(ctx context.Context, pod corev1.Pod, container string) (string, error) {
	raw, err := clientset.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container}).
		DoRaw(ctx)
	return string(raw), err
}
